// `mcp-registry-export webhook` as a process: flags and environment, serving, exit 0 on
// SIGTERM, exit 2 on bad configuration. No cluster here (--cluster-lookups=off); the
// informer-backed mode is exercised in test/e2e/webhook-command.test.ts.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpsClient } from '../support/https-client.ts';
import { createThrowawayCA } from '../support/throwaway-pki.ts';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

let dir: string;
let caPem: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'webhook-command-'));
  const ca = createThrowawayCA();
  const serving = ca.issue();
  caPem = ca.certPem;
  await writeFile(join(dir, 'tls.crt'), serving.certPem);
  await writeFile(join(dir, 'tls.key'), serving.keyPem);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

function runCli(args: string[], env: Record<string, string> = {}): { child: ChildProcess; stdout: () => string; stderr: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, MCP_REGISTRY_EXPORT_CLUSTER_LOOKUPS: 'off', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  lastStderr = () => stderr;
  return { child, stdout: () => stdout, stderr: () => stderr, exit };
}

let lastStderr = () => '';

async function waitForLine(read: () => string, text: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!read().includes(text)) {
    if (Date.now() > deadline) throw new Error(`no "${text}" in output: ${read()}\n--- stderr ---\n${lastStderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('webhook command', () => {
  it('serves with flags from the environment and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const cli = runCli(['webhook', '--tls-cert', join(dir, 'tls.crt'), '--tls-key', join(dir, 'tls.key')], {
      MCP_REGISTRY_EXPORT_WEBHOOK_PORT: String(port),
      MCP_REGISTRY_EXPORT_REFERENTIAL_CHECKS: 'warn',
      MCP_REGISTRY_EXPORT_LOG_LEVEL: 'debug',
    });
    try {
      await waitForLine(cli.stdout, 'admission webhook listening');
      const client = httpsClient(port, caPem);
      expect((await client.get('/readyz')).status).toBe(200);
      const review = {
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: {
          uid: 'cli-1',
          operation: 'CREATE',
          kind: { group: 'toolhive.stacklok.dev', version: 'v1alpha1', kind: 'MCPServer' },
          namespace: 'tools',
          object: {
            apiVersion: 'toolhive.stacklok.dev/v1alpha1',
            kind: 'MCPServer',
            metadata: { name: 'fetch', namespace: 'tools', annotations: { 'toolhive.stacklok.dev/registry-tier': 'Gold' } },
          },
        },
      };
      const answer = await client.post('/validate', review);
      expect(answer.json.response).toMatchObject({ uid: 'cli-1', allowed: false });
      expect((await client.get('/metrics')).text).toContain('mcp_registry_export_process_resident_memory_bytes');
      await waitForLine(cli.stdout, '"verdict":"denied"');
      // Allowed answers are logged at debug only: proof that the level came from the environment.
      await client.post('/validate', { ...review, request: { ...review.request, uid: 'cli-2', operation: 'DELETE', object: null } });
      client.close();
      await waitForLine(cli.stdout, '"level":"debug"');
    } finally {
      cli.child.kill('SIGTERM');
    }
    expect(await cli.exit).toBe(0);
    const lines = cli.stdout().trim().split('\n').map((line) => JSON.parse(line));
    expect(lines.map((line) => line.msg)).toEqual(expect.arrayContaining(['termination requested', 'admission webhook stopped']));
    expect(lines.filter((line) => line.name !== 'webhook' || typeof line.time !== 'string')).toEqual([]);
    // A loaded machine (two e2e files beside it) can take seconds to start the CLI from source.
  }, 60_000);

  it('drains on SIGTERM for --shutdown-delay (/readyz 503, reviews still answered); SIGINT stops without the delay', async () => {
    const review = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'drain-1', operation: 'DELETE', kind: { group: 'gateway.networking.k8s.io', version: 'v1', kind: 'HTTPRoute' }, object: null } };
    const start = async (env: Record<string, string>) => {
      const port = await freePort();
      const cli = runCli(['webhook', '--tls-cert', join(dir, 'tls.crt'), '--tls-key', join(dir, 'tls.key'), '--port', String(port)], env);
      await waitForLine(cli.stdout, 'admission webhook listening');
      return { cli, client: httpsClient(port, caPem) };
    };

    const drained = await start({ MCP_REGISTRY_EXPORT_SHUTDOWN_DELAY: '2s' });
    const signalledAt = Date.now();
    drained.cli.child.kill('SIGTERM');
    await waitForLine(drained.cli.stdout, 'admission webhook draining');
    expect((await drained.client.freshGet('/readyz')).status).toBe(503);
    const answer = await drained.client.post('/validate', review);
    expect(answer.json.response).toMatchObject({ uid: 'drain-1', allowed: true });
    expect(await drained.cli.exit).toBe(0);
    expect(Date.now() - signalledAt).toBeGreaterThanOrEqual(2_000);
    drained.client.close();

    // A second SIGTERM during the drain cuts it short; the process still exits 0 (not killed by the signal).
    const twice = await start({ MCP_REGISTRY_EXPORT_SHUTDOWN_DELAY: '1m' });
    const twiceAt = Date.now();
    twice.cli.child.kill('SIGTERM');
    await waitForLine(twice.cli.stdout, 'admission webhook draining');
    twice.cli.child.kill('SIGTERM');
    expect(await twice.cli.exit).toBe(0);
    expect(Date.now() - twiceAt).toBeLessThan(30_000);
    expect(twice.cli.stdout()).toContain('termination requested again; no more waiting for the endpoints');
    twice.client.close();

    const interrupted = await start({ MCP_REGISTRY_EXPORT_SHUTDOWN_DELAY: '1m' });
    const interruptedAt = Date.now();
    interrupted.cli.child.kill('SIGINT');
    expect(await interrupted.cli.exit).toBe(0);
    expect(Date.now() - interruptedAt).toBeLessThan(30_000);
    expect(interrupted.cli.stdout()).not.toContain('admission webhook draining');
    interrupted.client.close();
  }, 60_000);

  it.each([
    [['webhook', '--shutdown-delay', '10m'], {}, "option '--shutdown-delay <duration>' argument '10m' is invalid. must be at most 5m"],
    [['webhook', '--tls-cert', '/nonexistent/tls.crt'], {}, 'cannot read TLS certificate /nonexistent/tls.crt'],
    [['webhook', '--port', '70000'], {}, "option '--port <port>' argument '70000' is invalid"],
    [['webhook'], { MCP_REGISTRY_EXPORT_LOG_LEVEL: 'chatty' }, 'chatty'],
    [['webhook', '--referential-checks', 'maybe'], {}, 'maybe'],
  ])('%j exits 2 with the reason on stderr', async (args, env, message) => {
    const cli = runCli(args, env);
    expect(await cli.exit).toBe(2);
    expect(cli.stderr()).toContain(message);
  });
});
