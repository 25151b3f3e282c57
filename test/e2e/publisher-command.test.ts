// `mcp-registry-export publisher` as a process: it becomes ready after its caches synced and
// its first pass, publishes an accepted route, serves its metrics, and exits 0 on SIGTERM.

import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CLI } from '../cli/run-cli.ts';
import type { ControlPlane } from '../support/control-plane.ts';
import { acceptRoute, apply, eventually, exportedRoute, mcpServer } from '../support/publisher-cluster.ts';
import type { RegistryServer } from '../support/registry-server.ts';
import { freePort } from '../support/free-port.ts';
import { startPublisherWorld, type PublisherWorld } from '../support/publisher-world.ts';

let cluster: ControlPlane;
let registry: RegistryServer;
let dir: string;
let world: PublisherWorld | undefined;
let child: ChildProcess;
let output = '';
let port: number;


beforeAll(async () => {
  world = await startPublisherWorld('publisher-cmd');
  ({ cluster, registry, dir } = world);
  await apply(cluster, mcpServer('github', 'GitHub MCP server'));
  await apply(cluster, exportedRoute('github', 'github'));
  await acceptRoute(cluster, 'github');
  port = await freePort();
  child = spawn(
    process.execPath,
    [CLI, 'publisher', '--kubeconfig', cluster.kubeconfigPath, '--registry-url', registry.url, '--registry-auth', 'token', '--registry-token-file', join(dir, 'token'), '--port', String(port), '--log-level', 'trace'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
}, 240_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
  }
  await world?.stop();
});

it('becomes ready, publishes, serves metrics, and exits 0 on SIGTERM', async () => {
  await eventually(async () => ((await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200 ? true : undefined), 60_000, `readiness\n${output}`);
  const name = encodeURIComponent('com.toolhive.k8s.mcp-servers/github');
  const latest = await eventually(async () => {
    const response = await fetch(`${registry.url}/v0.1/servers/${name}/versions/latest`);
    return response.status === 200 ? ((await response.json()) as { server: { remotes: { url: string }[] } }) : undefined;
  }, 20_000, 'the entry');
  expect(latest.server.remotes[0]!.url).toBe('https://mcp.company.com/github/mcp');
  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  expect(metrics).toMatch(/mcp_registry_export_registry_writes_total\{kind="publish",result="written"\} 1/);
  expect(metrics).toMatch(/mcp_registry_export_registry_requests_total\{operation="publish",outcome="ok"\} 1/);
  expect(metrics).toMatch(/mcp_registry_export_entries\{state="synced"\} 1/);
  expect(metrics).toMatch(/mcp_registry_export_entries\{state="failed"\} 0/);
  expect(metrics).toMatch(/^mcp_registry_export_leader 1$/m);
  expect(metrics).toMatch(/mcp_registry_export_informer_synced\{kind="HTTPRoute"\} 1/);
  expect(metrics).toMatch(/mcp_registry_export_informer_last_event_age_seconds\{kind="HTTPRoute"\} \d/);
  expect(metrics).toMatch(/^mcp_registry_export_pending_changes 0$/m);
  const lines = output.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(lines.find((line) => line['msg'] === 'published')).toMatchObject({ registryName: 'com.toolhive.k8s.mcp-servers/github', objects: expect.arrayContaining(['HTTPRoute mcp-servers/github']) });
  const token = (await import('node:fs')).readFileSync(join(dir, 'token'), 'utf8').trim();
  expect(output).not.toContain(token);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
}, 120_000);
