// The publisher under faults, against a real API server and the real registry, with a fault
// proxy in front of the registry: 503s, 429 with Retry-After, dropped connections, and a
// kube-apiserver restart in the middle of changes. After each, the registry converges to the
// plan with nothing lost and nothing published twice, with a bounded number of requests.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterCache } from '../../src/kubernetes/cluster-cache.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { startPublisher, type RunningPublisher } from '../../src/publisher/publisher.ts';
import { createRegistryClient } from '../../src/registry/index.ts';
import type { ControlPlane } from '../support/control-plane.ts';
import { startFaultProxy, type FaultProxy } from '../support/http-fault-proxy.ts';
import { acceptRoute, apply, eventually, exportedRoute, kubectlOk, mcpServer } from '../support/publisher-cluster.ts';
import type { RegistryServer } from '../support/registry-server.ts';
import { startPublisherWorld, type PublisherWorld } from '../support/publisher-world.ts';

let cluster: ControlPlane;
let registry: RegistryServer;
let proxy: FaultProxy;
let world: PublisherWorld | undefined;
let cache: ClusterCache;
let publisher: RunningPublisher;

interface Held {
  server: { name: string; version: string };
  _meta: { 'io.modelcontextprotocol.registry/official': { status: string } };
}

/** Read straight from the registry, not through the proxy. */
async function activeVersions(name: string): Promise<string[]> {
  const response = await fetch(`${registry.url}/v0.1/servers/${encodeURIComponent(`com.toolhive.k8s.mcp-servers/${name}`)}/versions?include_deleted=true`);
  if (response.status !== 200) return [];
  const body = (await response.json()) as { servers: Held[] };
  return body.servers.filter((v) => v._meta['io.modelcontextprotocol.registry/official'].status !== 'deleted').map((v) => v.server.version);
}

async function allVersions(name: string): Promise<string[]> {
  const response = await fetch(`${registry.url}/v0.1/servers/${encodeURIComponent(`com.toolhive.k8s.mcp-servers/${name}`)}/versions?include_deleted=true`);
  return response.status === 200 ? ((await response.json()) as { servers: Held[] }).servers.map((v) => v.server.version) : [];
}

async function exportServer(name: string): Promise<void> {
  await apply(cluster, mcpServer(name, `${name} MCP server`));
  await apply(cluster, exportedRoute(name, name));
  await acceptRoute(cluster, name);
}

async function published(names: string[], timeoutMs = 30_000): Promise<void> {
  await eventually(async () => {
    for (const name of names) if ((await activeVersions(name)).length !== 1) return undefined;
    return true;
  }, timeoutMs, `${names.join(', ')} published`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  world = await startPublisherWorld('faults');
  ({ cluster, registry } = world);
  const { tokenFile } = world;
  proxy = await startFaultProxy(registry.url);
  cache = new ClusterCache({ kubeconfigPath: cluster.kubeconfigPath });
  cache.start();
  publisher = await startPublisher(
    { owner: 'faults-e2e', namePrefix: 'com.toolhive.k8s.{namespace}', flavor: 'upstream', namespaces: [], resyncIntervalMs: 0, dryRun: false, debounceMs: 50 },
    silentLogger(),
    { cache, client: createRegistryClient({ url: proxy.url, flavor: 'upstream', auth: { mode: 'token', tokenFile } }), events: { record() {}, async stop() {} } },
  );
}, 240_000);

afterAll(async () => {
  await publisher?.stop();
  await cache?.stop();
  await proxy?.close();
  await world?.stop();
});

describe('the publisher under faults', () => {
  it('503 for several seconds during changes: converges after recovery, each entry once, requests bounded', async () => {
    proxy.setFault({ kind: 'status', status: 503 });
    const before = proxy.seen.total;
    await Promise.all(['alpha', 'bravo', 'charlie'].map(exportServer));
    await sleep(6_000);
    const duringFault = proxy.seen.total - before;
    proxy.setFault(undefined);
    const recoveredAt = Date.now();
    await published(['alpha', 'bravo', 'charlie']);
    console.log(`503 for 6 s: ${duringFault} requests during the fault; converged ${Date.now() - recoveredAt} ms after recovery`);
    // Retries back off (4 attempts a request, then the pass backs off from 1 s doubling).
    expect(duringFault).toBeGreaterThan(0);
    expect(duringFault).toBeLessThan(40);
    for (const name of ['alpha', 'bravo', 'charlie']) expect(await allVersions(name)).toEqual(['v1.2.0']);
  }, 60_000);

  it('429 with Retry-After: waits as told, then converges', async () => {
    proxy.setFault({ kind: 'status', status: 429, retryAfterSeconds: 2 });
    const from = proxy.seen.log.length;
    await exportServer('delta');
    await sleep(5_000);
    const during = proxy.seen.log.slice(from);
    proxy.setFault(undefined);
    await published(['delta']);
    console.log(`429 Retry-After 2 for 5 s: ${during.length} requests`);
    // At most one request per Retry-After period (plus the first).
    expect(during.length).toBeGreaterThan(0);
    expect(during.length).toBeLessThanOrEqual(4);
    expect(await allVersions('delta')).toEqual(['v1.2.0']);
  }, 60_000);

  it('dropped connections: converges once they are answered again, nothing published twice', async () => {
    proxy.setFault({ kind: 'drop' });
    await exportServer('echo');
    await apply(cluster, mcpServer('alpha', 'alpha MCP server, changed while the registry was unreachable'));
    await sleep(4_000);
    proxy.setFault(undefined);
    await published(['echo']);
    await eventually(async () => ((await allVersions('alpha')).length === 2 && (await activeVersions('alpha')).length === 1 ? true : undefined), 30_000, 'alpha updated');
    expect(await allVersions('echo')).toEqual(['v1.2.0']);
  }, 60_000);

  it('kube-apiserver restarted in the middle of changes: no change is missed', async () => {
    await exportServer('foxtrot');
    const restart = cluster.restartApiServer(2_000);
    await restart;
    // Changes right after the restart, while the informers are still reconnecting.
    await exportServer('golf');
    await kubectlOk(cluster, ['delete', 'httproute', 'bravo', '-n', 'mcp-servers']);
    await published(['foxtrot', 'golf'], 60_000);
    await eventually(async () => ((await activeVersions('bravo')).length === 0 ? true : undefined), 60_000, 'bravo retired');
    expect(await allVersions('golf')).toEqual(['v1.2.0']);
    expect(publisher.isReady()).toBe(true);
  }, 120_000);
});
