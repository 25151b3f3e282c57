// Soak benchmark (`npm run bench:soak`; minutes, not part of `npm test`): the `publisher`
// command as its own process against a real kube-apiserver + etcd and the real upstream
// registry, behind a proxy that fails 5 % of registry requests with 503. 1,000 exported
// routes, then continuous churn (create, change, delete at SOAK_CHANGES_PER_SECOND, default
// 2) for SOAK_MINUTES (default 10). Prints the publisher's RSS over time, the registry state
// against the plan at the end (`diff`, which must report no writes), and registry requests
// per change.

import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane, type ControlPlane } from '../test/support/control-plane.ts';
import { startFaultProxy } from '../test/support/http-fault-proxy.ts';
import { baseObjects, CONTROLLER, exportedRoute, mcpServer } from '../test/support/publisher-cluster.ts';
import { startRegistry } from '../test/support/registry-server.ts';
import { freePort } from '../test/support/free-port.ts';
import { parse } from 'yaml';

const MINUTES = Number(process.env['SOAK_MINUTES'] ?? 10);
const RATE = Number(process.env['SOAK_CHANGES_PER_SECOND'] ?? 2);
const ROUTES = Number(process.env['SOAK_ROUTES'] ?? 1000);
const CLI = join(import.meta.dirname, '..', 'src', 'cli', 'main.ts');
const OWNER = 'soak';

function api(cluster: ControlPlane, method: string, path: string, body?: unknown, contentType = 'application/merge-patch+json'): Promise<number> {
  const url = new URL(path, cluster.server);
  return new Promise((resolve, reject) => {
    const req = request(url, { method, ca: cluster.caPem, headers: { authorization: `Bearer ${cluster.token}`, 'content-type': contentType } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const ROUTES_PATH = '/apis/gateway.networking.k8s.io/v1/namespaces/mcp-servers/httproutes';
const SERVERS_PATH = '/apis/toolhive.stacklok.dev/v1alpha1/namespaces/mcp-servers/mcpservers';

async function accept(cluster: ControlPlane, name: string): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const condition = (type: string) => ({ type, status: 'True', reason: type, message: '', observedGeneration: 1, lastTransitionTime: now });
  await api(cluster, 'PATCH', `${ROUTES_PATH}/${name}/status`, {
    status: { parents: [{ parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public', namespace: 'gateway-system' }, controllerName: CONTROLLER, conditions: [condition('Accepted'), condition('ResolvedRefs')] }] },
  });
}

async function create(cluster: ControlPlane, name: string): Promise<void> {
  await api(cluster, 'POST', SERVERS_PATH, parse(mcpServer(name, `Server ${name}`)), 'application/json');
  await api(cluster, 'POST', ROUTES_PATH, parse(exportedRoute(name, name)), 'application/json');
  await accept(cluster, name);
}

function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

/** The publisher's own view of its memory, from its /metrics (prom-client's default metrics). */
async function memoryOf(port: number): Promise<string> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const value = (name: string) => Number(new RegExp(`^mcp_registry_export_${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) / 1024 / 1024;
    return `heap used ${value('nodejs_heap_size_used_bytes').toFixed(0)} MB of ${value('nodejs_heap_size_total_bytes').toFixed(0)} MB, external ${value('nodejs_external_memory_bytes').toFixed(0)} MB`;
  } catch {
    return 'heap unknown';
  }
}

const [cluster, registry] = await Promise.all([startControlPlane(), startRegistry()]);
const proxy = await startFaultProxy(registry.url);
const dir = mkdtempSync(join(tmpdir(), 'bench-soak-'));
const tokenFile = join(dir, 'token');
writeFileSync(tokenFile, registry.mintToken([{ action: 'publish', resource: 'com.toolhive.k8s.*' }], 7200 + MINUTES * 60));
let child: ReturnType<typeof spawn> | undefined;
try {
  const base = await cluster.kubectl(['apply', '-f', '-'], { input: baseObjects() });
  if (base.code !== 0) throw new Error(base.stderr);
  const live = new Set<string>();
  let next = 0;
  const newName = () => `s${String(next++).padStart(5, '0')}`;
  for (let i = 0; i < ROUTES; i += 16) {
    await Promise.all(Array.from({ length: Math.min(16, ROUTES - i) }, async () => {
      const name = newName();
      await create(cluster, name);
      live.add(name);
    }));
  }
  proxy.setFault({ kind: 'random', fraction: 0.05, status: 503 });
  const port = await freePort();
  child = spawn(process.execPath, [CLI, 'publisher', '--kubeconfig', cluster.kubeconfigPath, '--registry-url', proxy.url, '--registry-auth', 'token', '--registry-token-file', tokenFile, '--owner', OWNER, '--port', String(port), '--log-level', 'warn'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const pid = child.pid!;
  // Initial sync, then churn.
  const syncStart = Date.now();
  while (proxy.seen.total < ROUTES) await new Promise((resolve) => setTimeout(resolve, 500));
  console.log(`soak: ${ROUTES} routes, publisher pid ${pid}, ${RATE} changes/s for ${MINUTES} min, registry failing 5 % of requests (503)`);
  const requestsBefore = proxy.seen.total;
  let changes = 0;
  const ends = Date.now() + MINUTES * 60_000;
  let nextSample = Date.now();
  const samples: string[] = [];
  while (Date.now() < ends) {
    const op = Math.random();
    const names = [...live];
    const pick = names[Math.floor(Math.random() * names.length)]!;
    if (op < 0.34) {
      const name = newName();
      await create(cluster, name);
      live.add(name);
    } else if (op < 0.67) {
      await api(cluster, 'PATCH', `${SERVERS_PATH}/${pick}`, { metadata: { annotations: { 'toolhive.stacklok.dev/registry-description': `Server ${pick}, change ${changes}` } } });
    } else {
      await api(cluster, 'DELETE', `${ROUTES_PATH}/${pick}`);
      await api(cluster, 'DELETE', `${SERVERS_PATH}/${pick}`);
      live.delete(pick);
    }
    changes++;
    if (Date.now() >= nextSample) {
      const minute = ((Date.now() - syncStart) / 60_000).toFixed(1);
      samples.push(`${minute} min ${rssMb(pid).toFixed(0)} MB`);
      const heap = await memoryOf(port);
      console.log(`  t=${minute} min: RSS ${rssMb(pid).toFixed(0)} MB (${heap}), ${changes} changes, ${proxy.seen.total - requestsBefore} registry requests (${proxy.seen.faulted} failed by the proxy)`);
      nextSample = Date.now() + 30_000;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000 / RATE));
  }
  const churnRequests = proxy.seen.total - requestsBefore;
  // Let it settle with the faults still on, then compare the registry with the plan.
  await new Promise((resolve) => setTimeout(resolve, 20_000));
  const diff = spawnSync(process.execPath, [CLI, 'diff', '--kubeconfig', cluster.kubeconfigPath, '--registry-url', registry.url, '--owner', OWNER, '--output', 'json'], { encoding: 'utf8' });
  const report = diff.status === 0 || diff.status === 3 ? (JSON.parse(diff.stdout) as { writes: unknown[]; conflicts: unknown[] }) : undefined;
  console.log(`RSS over time: ${samples.join(', ')}`);
  console.log(
    `end: ${live.size} routes live; registry vs plan: ${report ? `${report.writes.length} writes missing, ${report.conflicts.length} conflicts` : `diff failed (${diff.stderr.trim()})`} (diff exit ${diff.status}; goal 0, identical); ` +
      `${changes} changes, ${churnRequests} registry requests during churn: ${(churnRequests / changes).toFixed(2)} per change`,
  );
} finally {
  child?.kill('SIGTERM');
  await proxy.close();
  await Promise.all([cluster.stop(), registry.stop()]);
  rmSync(dir, { recursive: true, force: true });
}
