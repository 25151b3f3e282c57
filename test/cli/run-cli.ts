// Runs the real command line (src/cli/main.ts on the same Node) as a child process.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('../fixtures/manifests/', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string>;
  /** `env` alone, none of this process's variables (no stray MCP_REGISTRY_EXPORT_*). */
  onlyEnv?: boolean;
  /** Another entry point, e.g. the built dist/cli/main.js. */
  program?: string;
  /** Run as uid/gid 65534 (needs root), e.g. to meet an unreadable file. */
  asNobody?: boolean;
}

export function runCli(args: readonly string[], stdin?: string | Buffer, options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [options.program ?? CLI, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(options.env ? { env: options.onlyEnv ? options.env : { ...process.env, ...options.env } } : {}),
      ...(options.asNobody ? { uid: 65534, gid: 65534 } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    // A CLI that stops reading early (a refused stdin) closes the pipe under us.
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin ?? '');
  });
}
