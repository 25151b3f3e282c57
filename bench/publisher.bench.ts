// Publisher benchmark (`npm run bench:publisher`), against a real kube-apiserver + etcd and
// the real upstream registry (v1.8.9 on embedded PostgreSQL). Each scenario in its own
// child process:
//   latency  100 routes, accepted one after the other: time from the status write turning
//            the route Accepted to its entry being readable at versions/latest (p50, p95;
//            goal p50 < 1 s, p95 < 2 s);
//   sync     1,000 exported routes created before the publisher starts: time to converge,
//            and its write rate against a bare client publishing 1,000 entries to the same
//            registry in the same run (goal >= 0.8);
//   steady   the 1,000 routes in sync: RSS (goal < 150 MB) and CPU over an idle period
//            (BENCH_IDLE_SECONDS, default 60; goal < 1 % of a core), and the registry
//            requests of one resync when nothing changed.

import { spawnSync } from 'node:child_process';
import { request } from 'node:https';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterCache } from '../src/kubernetes/cluster-cache.ts';
import { silentLogger } from '../src/observability/logger.ts';
import { SERVER_SCHEMA_URL, type ServerEntry } from '../src/planner/server-entry.ts';
import { startPublisher } from '../src/publisher/publisher.ts';
import type { PassReport } from '../src/publisher/reconciler.ts';
import { createRegistryClient } from '../src/registry/index.ts';
import { startControlPlane, type ControlPlane } from '../test/support/control-plane.ts';
import { baseObjects, CONTROLLER, exportedRoute, mcpServer } from '../test/support/publisher-cluster.ts';
import { startRegistry, type RegistryServer } from '../test/support/registry-server.ts';

const scenario = process.argv[2];

if (!scenario) {
  for (const name of ['latency', 'sync', 'steady']) {
    const child = spawnSync(process.execPath, [import.meta.filename, name], { stdio: 'inherit' });
    if (child.status !== 0) process.exit(child.status ?? 1);
  }
  process.exit(0);
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

/** Raw API requests (status writes), many at once, without a kubectl process each. */
function api(cluster: ControlPlane, method: string, path: string, body: unknown, contentType = 'application/merge-patch+json'): Promise<void> {
  const url = new URL(path, cluster.server);
  return new Promise((resolve, reject) => {
    const req = request(url, { method, ca: cluster.caPem, headers: { authorization: `Bearer ${cluster.token}`, 'content-type': contentType } }, (res) => {
      res.resume();
      res.on('end', () => ((res.statusCode ?? 500) < 300 ? resolve() : reject(new Error(`${method} ${path}: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

async function accept(cluster: ControlPlane, name: string): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const condition = (type: string) => ({ type, status: 'True', reason: type, message: '', observedGeneration: 1, lastTransitionTime: now });
  await api(cluster, 'PATCH', `/apis/gateway.networking.k8s.io/v1/namespaces/mcp-servers/httproutes/${name}/status`, {
    status: { parents: [{ parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public', namespace: 'gateway-system' }, controllerName: CONTROLLER, conditions: [condition('Accepted'), condition('ResolvedRefs')] }] },
  });
}

async function inBatches<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(work));
}

async function createRoutes(cluster: ControlPlane, count: number, acceptThem: boolean): Promise<string[]> {
  const names = Array.from({ length: count }, (_, i) => `s${String(i).padStart(4, '0')}`);
  const yaml = names.map((n) => `${mcpServer(n, `Server ${n}`)}---\n${exportedRoute(n, n)}`).join('---\n');
  const created = await cluster.kubectl(['create', '-f', '-'], { input: yaml, timeoutMs: 600_000 });
  if (created.code !== 0) throw new Error(created.stderr);
  if (acceptThem) await inBatches(names, 16, (n) => accept(cluster, n));
  return names;
}

async function setUp(): Promise<{ cluster: ControlPlane; registry: RegistryServer; tokenFile: string; dir: string }> {
  const [cluster, registry] = await Promise.all([startControlPlane(), startRegistry()]);
  const dir = mkdtempSync(join(tmpdir(), 'bench-publisher-'));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, registry.mintToken([{ action: 'publish', resource: 'com.toolhive.k8s.*' }, { action: 'publish', resource: 'com.bench.bare/*' }], 7200));
  const base = await cluster.kubectl(['apply', '-f', '-'], { input: baseObjects() });
  if (base.code !== 0) throw new Error(base.stderr);
  return { cluster, registry, tokenFile, dir };
}

async function startOne(env: Awaited<ReturnType<typeof setUp>>, onPass: (pass: PassReport) => void, counter: { requests: number }) {
  const cache = new ClusterCache({ kubeconfigPath: env.cluster.kubeconfigPath });
  cache.start();
  const client = createRegistryClient({ url: env.registry.url, flavor: 'upstream', auth: { mode: 'token', tokenFile: env.tokenFile } }, { onRequest: () => counter.requests++ });
  const publisher = await startPublisher(
    { owner: 'bench', namePrefix: 'com.toolhive.k8s.{namespace}', flavor: 'upstream', namespaces: [], resyncIntervalMs: 0, dryRun: false },
    silentLogger(),
    { cache, client, onPass },
  );
  return { publisher, cache, client, stop: async () => (await publisher.stop(), await cache.stop()) };
}

const env = await setUp();
const counter = { requests: 0 };
try {
  if (scenario === 'latency') {
    const names = await createRoutes(env.cluster, 100, false);
    const running = await startOne(env, () => {}, counter);
    const latencies: number[] = [];
    for (const n of names) {
      const started = performance.now();
      await accept(env.cluster, n);
      const path = `${env.registry.url}/v0.1/servers/${encodeURIComponent(`com.toolhive.k8s.mcp-servers/${n}`)}/versions/latest`;
      while ((await fetch(path)).status !== 200) await new Promise((resolve) => setTimeout(resolve, 10));
      latencies.push(performance.now() - started);
    }
    await running.stop();
    latencies.sort((a, b) => a - b);
    console.log(`latency (Accepted -> readable at versions/latest, 100 routes): p50 ${quantile(latencies, 0.5).toFixed(0)} ms, p95 ${quantile(latencies, 0.95).toFixed(0)} ms, max ${latencies.at(-1)!.toFixed(0)} ms (goal p50 < 1000, p95 < 2000)`);
  } else {
    await createRoutes(env.cluster, 1000, true);
    let written = 0;
    let convergedAt = 0;
    let passMs = 0;
    const started = performance.now();
    const running = await startOne(env, (pass) => {
      written += pass.outcomes.filter((o) => o.result === 'written').length;
      if (written >= 1000 && !convergedAt) {
        convergedAt = performance.now();
        passMs = pass.durationMs;
      }
    }, counter);
    while (!convergedAt) await new Promise((resolve) => setTimeout(resolve, 50));
    const publisherSeconds = (convergedAt - started) / 1000;
    if (scenario === 'sync') {
      // The bare client: the same kind of entries, other names and URLs, one after the other.
      const bare = createRegistryClient({ url: env.registry.url, flavor: 'upstream', auth: { mode: 'token', tokenFile: env.tokenFile } });
      const bareStart = performance.now();
      for (let i = 0; i < 1000; i++) {
        const entry = { $schema: SERVER_SCHEMA_URL, name: `com.bench.bare/s${i}`, description: `Server ${i}`, version: '1.0.0', remotes: [{ type: 'streamable-http', url: `https://bare.example.com/s${i}/mcp` }], _meta: { 'io.modelcontextprotocol.registry/publisher-provided': {} } } as unknown as ServerEntry;
        await bare.publish(entry);
      }
      const bareSeconds = (performance.now() - bareStart) / 1000;
      console.log(`initial sync of 1000 routes: converged in ${publisherSeconds.toFixed(1)} s from start (caches, plan, registry read, 1000 publishes): ${(1000 / publisherSeconds).toFixed(0)} writes/s; the pass that wrote them (plan + registry read + 1000 publishes) took ${(passMs / 1000).toFixed(1)} s: ${(1000000 / passMs).toFixed(0)} writes/s; bare client ${(1000 / bareSeconds).toFixed(0)} writes/s; ratio ${(bareSeconds * 1000 / passMs).toFixed(2)} for the pass, ${(bareSeconds / publisherSeconds).toFixed(2)} from start (goal >= 0.8)`);
    } else {
      const idleSeconds = Number(process.env['BENCH_IDLE_SECONDS'] ?? 60);
      global.gc?.();
      const cpu = process.cpuUsage();
      const t = performance.now();
      await new Promise((resolve) => setTimeout(resolve, idleSeconds * 1000));
      const used = process.cpuUsage(cpu);
      const share = (used.user + used.system) / 1000 / (performance.now() - t);
      const rss = process.memoryUsage().rss / 1024 / 1024;
      counter.requests = 0;
      await running.publisher.reconciler.resync();
      console.log(`steady state, 1000 routes in sync: RSS ${rss.toFixed(0)} MB (goal < 150, benchmark process incl. the test harness' clients), CPU ${(share * 100).toFixed(2)} % of a core over ${idleSeconds} s idle (goal < 1 %), registry requests per resync with nothing changed: ${counter.requests}`);
    }
    await running.stop();
  }
} finally {
  await Promise.all([env.cluster.stop(), env.registry.stop()]);
  rmSync(env.dir, { recursive: true, force: true });
}
