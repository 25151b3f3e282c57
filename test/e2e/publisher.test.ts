// The publisher end to end: a real kube-apiserver + etcd, the real upstream MCP registry
// (v1.8.9 on embedded PostgreSQL), the real kubectl. The cluster changes the way an
// operator and a Gateway controller change it; the registry is read back with plain HTTP.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterCache } from '../../src/kubernetes/cluster-cache.ts';
import { OWNERSHIP_KEY, PUBLISHER_PROVIDED_KEY, SERVER_SCHEMA_URL } from '../../src/planner/server-entry.ts';
import { startPublisher, type RunningPublisher } from '../../src/publisher/publisher.ts';
import type { PassReport } from '../../src/publisher/reconciler.ts';
import { createRegistryClient } from '../../src/registry/index.ts';
import type { ControlPlane } from '../support/control-plane.ts';
import { acceptRoute, apply, baseObjects, eventually, exportedRoute, kubectlOk, mcpServer, P } from '../support/publisher-cluster.ts';
import type { RegistryServer } from '../support/registry-server.ts';
import { startPublisherWorld, type PublisherWorld } from '../support/publisher-world.ts';

const OWNER = 'e2e-cluster';
const NAME = 'com.toolhive.k8s.mcp-servers/github';

let cluster: ControlPlane;
let registry: RegistryServer;
let tokenFile: string;
let world: PublisherWorld | undefined;
let requests: { operation: string; outcome: string }[] = [];
let passes: PassReport[] = [];

interface Held {
  server: { name: string; version: string; description: string; remotes: { url: string }[]; _meta?: Record<string, unknown> };
  _meta: { 'io.modelcontextprotocol.registry/official': { status: string; isLatest: boolean } };
}

async function registryGet(path: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${registry.url}${path}`);
  return { status: response.status, body: response.status === 200 ? await response.json() : await response.text() };
}

async function versionsOf(name: string): Promise<Held[]> {
  const { status, body } = await registryGet(`/v0.1/servers/${encodeURIComponent(name)}/versions?include_deleted=true`);
  return status === 200 ? (body.servers as Held[]) : [];
}

async function latest(name: string): Promise<Held | undefined> {
  const { status, body } = await registryGet(`/v0.1/servers/${encodeURIComponent(name)}/versions/latest`);
  return status === 200 ? (body as Held) : undefined;
}

const active = (versions: Held[]) => versions.filter((v) => v._meta['io.modelcontextprotocol.registry/official'].status !== 'deleted');

async function startOne(): Promise<{ publisher: RunningPublisher; cache: ClusterCache; stop: () => Promise<void> }> {
  const cache = new ClusterCache({ kubeconfigPath: cluster.kubeconfigPath });
  cache.start();
  const client = createRegistryClient(
    { url: registry.url, flavor: 'upstream', auth: { mode: 'token', tokenFile } },
    { onRequest: (operation, outcome) => requests.push({ operation, outcome }) },
  );
  const publisher = await startPublisher(
    { owner: OWNER, namePrefix: 'com.toolhive.k8s.{namespace}', flavor: 'upstream', namespaces: [], resyncIntervalMs: 0, dryRun: false, debounceMs: 50 },
    // eslint-disable-next-line no-console
    (await import('../../src/observability/logger.ts')).silentLogger(),
    { cache, client, onPass: (pass) => passes.push(pass) },
  );
  return {
    publisher,
    cache,
    async stop() {
      await publisher.stop();
      await cache.stop();
    },
  };
}

const writesOf = (list: PassReport[]) => list.flatMap((pass) => pass.outcomes.filter((o) => o.result === 'written'));

beforeAll(async () => {
  world = await startPublisherWorld('publisher-e2e');
  ({ cluster, registry, tokenFile } = world);
}, 240_000);

afterAll(async () => {
  await world?.stop();
});

describe('the publisher against a real API server and a real registry', () => {
  let running: Awaited<ReturnType<typeof startOne>>;

  it('publishes an exported, accepted route with the URL its Gateway gives', async () => {
    running = await startOne();
    await apply(cluster, mcpServer('github', 'GitHub MCP server'));
    await apply(cluster, exportedRoute('github', 'github'));
    // Not accepted yet: nothing is published.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await latest(NAME)).toBeUndefined();
    const acceptedAt = Date.now();
    await acceptRoute(cluster, 'github');
    const entry = await eventually(() => latest(NAME), 10_000, `${NAME} in the registry`);
    expect(Date.now() - acceptedAt).toBeLessThan(5_000);
    expect(entry.server.remotes.map((r) => r.url)).toEqual(['https://mcp.company.com/github/mcp']);
    expect(entry.server.version).toBe('v1.2.0');
    expect(entry.server.description).toBe('GitHub MCP server');
    const record = (entry.server._meta?.[PUBLISHER_PROVIDED_KEY] as Record<string, { owner: string }>)[OWNERSHIP_KEY];
    expect(record?.owner).toBe(OWNER);
  });

  it('a new listener hostname becomes the latest URL; the old version is retired', async () => {
    await apply(cluster, baseObjects('mcp2.company.com'));
    const entry = await eventually(async () => {
      const held = await latest(NAME);
      return held?.server.remotes[0]?.url === 'https://mcp2.company.com/github/mcp' ? held : undefined;
    }, 10_000, 'the new URL');
    expect(entry.server.version).toBe('v1.2.1-0.1');
    await eventually(async () => ((await versionsOf(NAME)).length === 2 && active(await versionsOf(NAME)).length === 1 ? true : undefined), 5_000, 'one active version');
  });

  it('a new description alone becomes the latest content', async () => {
    await apply(cluster, mcpServer('github', 'GitHub MCP server, now with merge queues'));
    const entry = await eventually(async () => {
      const held = await latest(NAME);
      return held?.server.description === 'GitHub MCP server, now with merge queues' ? held : undefined;
    }, 10_000, 'the new description');
    expect(entry.server.version).toBe('v1.2.1-0.2');
    await eventually(async () => (active(await versionsOf(NAME)).map((v) => v.server.version).join() === 'v1.2.1-0.2' ? true : undefined), 5_000, 'one active version');
  });

  it('a rename retires the old name and publishes the new one with the same URL, no conflict', async () => {
    await apply(cluster, exportedRoute('github', 'github', { [`${P}registry-name`]: 'github-renamed' }));
    await acceptRoute(cluster, 'github');
    const renamed = 'com.toolhive.k8s.mcp-servers/github-renamed';
    const entry = await eventually(() => latest(renamed), 10_000, 'the renamed entry');
    expect(entry.server.remotes[0]!.url).toBe('https://mcp2.company.com/github/mcp');
    await eventually(async () => (active(await versionsOf(NAME)).length === 0 ? true : undefined), 5_000, 'the old name retired');
    expect(writesOf(passes).filter((o) => o.result === 'written').length).toBeGreaterThan(0);
    expect(passes.flatMap((p) => p.outcomes).filter((o) => o.result === 'failed')).toEqual([]);
  });

  it('a restart with nothing changed writes nothing', async () => {
    await running.stop();
    passes = [];
    requests = [];
    running = await startOne();
    await eventually(async () => (passes.length > 0 ? true : undefined), 10_000, 'the first pass');
    expect(writesOf(passes)).toEqual([]);
    expect(requests.filter((r) => r.operation === 'publish' || r.operation === 'status')).toEqual([]);
  });

  it('a route deleted while the publisher was down is retired at start', async () => {
    await running.stop();
    await kubectlOk(cluster, ['delete', 'httproute', 'github', '-n', 'mcp-servers']);
    passes = [];
    running = await startOne();
    await eventually(async () => (active(await versionsOf('com.toolhive.k8s.mcp-servers/github-renamed')).length === 0 ? true : undefined), 10_000, 'retired at start');
    expect(writesOf(passes).map((o) => o.write.kind)).toEqual(['retire']);
  });

  it('never touches an entry of another owner under the same prefix', async () => {
    const foreign = 'com.toolhive.k8s.mcp-servers/foreign';
    const token = registry.mintToken([{ action: 'publish', resource: 'com.toolhive.k8s.*' }], 600);
    const response = await fetch(`${registry.url}/v0.1/publish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        $schema: SERVER_SCHEMA_URL,
        name: foreign,
        description: 'Published by another cluster',
        version: '1.0.0',
        remotes: [{ type: 'streamable-http', url: 'https://other.example.com/mcp' }],
        _meta: { [PUBLISHER_PROVIDED_KEY]: { [OWNERSHIP_KEY]: { owner: 'another-cluster', sources: [] } } },
      }),
    });
    expect(response.status, await response.clone().text()).toBe(200);
    await running.publisher.reconciler.resync();
    await running.publisher.reconciler.pass('test');
    const held = await versionsOf(foreign);
    expect(held.map((v) => [v.server.version, v._meta['io.modelcontextprotocol.registry/official'].status])).toEqual([['1.0.0', 'active']]);
  });

  it('removing the annotation, deleting the route or deleting the MCP resource retires', async () => {
    const name = (n: string) => `com.toolhive.k8s.mcp-servers/${n}`;
    for (const n of ['alpha', 'beta', 'gamma']) {
      await apply(cluster, mcpServer(n, `The ${n} server`));
      await apply(cluster, exportedRoute(n, n));
      await acceptRoute(cluster, n);
    }
    for (const n of ['alpha', 'beta', 'gamma']) await eventually(() => latest(name(n)), 10_000, `${n} published`);
    await apply(cluster, exportedRoute('alpha', 'alpha', { [`${P}registry-export`]: 'false' }));
    await kubectlOk(cluster, ['delete', 'httproute', 'beta', '-n', 'mcp-servers']);
    await kubectlOk(cluster, ['delete', 'mcpserver', 'gamma', '-n', 'mcp-servers']);
    for (const n of ['alpha', 'beta', 'gamma']) {
      await eventually(async () => (active(await versionsOf(name(n))).length === 0 ? true : undefined), 10_000, `${n} retired`);
    }
  });

  it('converges after the registry was stopped for a while, without a hot loop', async () => {
    const name = 'com.toolhive.k8s.mcp-servers/delta';
    await registry.stopRegistry();
    requests = [];
    await apply(cluster, mcpServer('delta', 'The delta server'));
    await apply(cluster, exportedRoute('delta', 'delta'));
    await acceptRoute(cluster, 'delta');
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    const whileDown = requests.length;
    // Back-off from 1 s doubling: a handful of passes in 6 s, each a few attempts.
    expect(whileDown).toBeGreaterThan(0);
    expect(whileDown).toBeLessThan(40);
    await registry.startRegistryAgain();
    const entry = await eventually(() => latest(name), 90_000, 'delta after the registry returned');
    expect(entry.server.description).toBe('The delta server');
  }, 120_000);

  afterAll(async () => {
    await running?.stop();
  });
});
