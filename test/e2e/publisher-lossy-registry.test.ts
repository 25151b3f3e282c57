// A registry that answers but does not keep what it was given (publishing.md §5), end to
// end: a real kube-apiserver + etcd, the real upstream registry (v1.8.9) behind an HTTP
// proxy that rewrites its JSON answers, and the ToolHive registry stand-in told to drop a
// field. It proves that a registry which drops fields (title, icons) on every answer gets
// the entry published once and never again over several resyncs, the alteration reported
// once (PassReport.altered and one log line); and that a registry which does not return the
// ownership record makes the publish fail loudly (outcome 'failed', a PublishFailed Warning
// Event naming the lost record) without the publisher looping on new versions. Versions are
// read back over HTTP straight from the registry, never through the proxy.

import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.ts';
import { OWNERSHIP_KEY, PUBLISHER_PROVIDED_KEY } from '../../src/planner/server-entry.ts';
import type { ControlPlane } from '../support/control-plane.ts';
import { startFaultProxy, type FaultProxy } from '../support/http-fault-proxy.ts';
import { startInProcessPublisher, statusOf, upstreamReader, type InProcessPublisher } from '../support/publisher-harness.ts';
import { acceptRoute, apply, eventually, exportedRoute, mcpServer, P } from '../support/publisher-cluster.ts';
import type { RegistryServer } from '../support/registry-server.ts';
import { startToolHiveStandIn, type ToolHiveStandIn } from '../support/toolhive-registry-stand-in.ts';
import { startPublisherWorld, type PublisherWorld } from '../support/publisher-world.ts';

const RESYNC_MS = 1_000;
const PREFIX = 'com.toolhive.k8s.mcp-servers';
const LOSSY = `${PREFIX}/lossy`;
const STRIPPED = `${PREFIX}/stripped`;
const ALTERED_LINE = /differs from what was published/;

let cluster: ControlPlane;
let registry: RegistryServer;
let standIn: ToolHiveStandIn;
let proxy: FaultProxy;
let world: PublisherWorld | undefined;
let tokenFile: string;

/** The server.json documents inside a registry answer (a list, a version, a publish answer). */
function serversIn(body: unknown): Record<string, unknown>[] {
  if (body === null || typeof body !== 'object') return [];
  const items = Array.isArray((body as { servers?: unknown }).servers) ? (body as { servers: unknown[] }).servers : [body];
  return items.map((item) => (item as { server?: unknown } | null)?.server).filter((s): s is Record<string, unknown> => s !== null && typeof s === 'object');
}

/** A logger whose JSON lines are kept for assertions. */
function capturingLogger() {
  const lines: { msg: string; registryName?: string }[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger({ level: 'info', destination }), lines };
}

const resyncsSince = (one: InProcessPublisher, from: number) => one.passes.slice(from).filter((p) => p.trigger === 'resync' && p.error === undefined).length;

async function exportServer(name: string, annotations: Record<string, string> = {}): Promise<void> {
  await apply(cluster, mcpServer(name, `${name} MCP server`, annotations));
  await apply(cluster, exportedRoute(name, name));
  await acceptRoute(cluster, name);
}

const postsOf = (from: number) => proxy.seen.log.slice(from).filter((r) => r.method === 'POST' && r.path === '/v0.1/publish').length;

beforeAll(async () => {
  [world, standIn] = await Promise.all([startPublisherWorld('lossy-e2e'), startToolHiveStandIn({ dropFields: ['title'] })]);
  ({ cluster, registry, tokenFile } = world);
  proxy = await startFaultProxy(registry.url);
}, 240_000);

afterAll(async () => {
  await proxy?.close();
  await Promise.all([world?.stop(), standIn?.close()]);
});

describe('an upstream registry that drops fields on every answer', () => {
  let one: InProcessPublisher;
  const { logger, lines } = capturingLogger();
  const reader = () => upstreamReader(registry.url);

  beforeAll(async () => {
    proxy.setRewrite((_request, body) => {
      for (const server of serversIn(body)) {
        delete server['title'];
        delete server['icons'];
      }
    });
    one = await startInProcessPublisher({ cluster, registryUrl: proxy.url, tokenFile, owner: 'lossy-e2e', logger, config: { resyncIntervalMs: RESYNC_MS } });
  });
  afterAll(async () => {
    await one?.stop();
    proxy.setRewrite(undefined);
  });

  it('publishes once and, over several resyncs, never again; the alteration is reported once', async () => {
    const postsFrom = proxy.seen.log.length;
    await exportServer('lossy', { [`${P}registry-title`]: 'Lossy', [`${P}registry-icon`]: 'https://example.com/lossy.png' });
    const held = await eventually(() => reader().latest(LOSSY), 20_000, `${LOSSY} published`);
    // The registry itself kept everything; the proxy is what loses title and icons.
    expect(held.server).toMatchObject({ title: 'Lossy', icons: [{ src: 'https://example.com/lossy.png' }] });
    const proxied = await upstreamReader(proxy.url).latest(LOSSY);
    expect(proxied?.server).not.toHaveProperty('title');
    expect(proxied?.server).not.toHaveProperty('icons');

    const from = one.passes.length;
    await eventually(async () => (resyncsSince(one, from) >= 3 ? true : undefined), 15_000, 'three resyncs after the publish');
    expect((await reader().versionsOf(LOSSY)).map((v) => [v.server.version, statusOf(v)])).toEqual([['v1.2.0', 'active']]);
    expect(postsOf(postsFrom)).toBe(1);
    expect(one.written().map((o) => `${o.write.kind} ${o.write.name}@${o.write.version}`)).toEqual([`publish ${LOSSY}@v1.2.0`]);
    // Each resync read the altered copy and took it as unchanged.
    for (const pass of one.passes.slice(from).filter((p) => p.trigger === 'resync' && p.error === undefined)) {
      expect(pass.diff?.unchanged).toContain(LOSSY);
      expect(pass.diff?.altered).toContain(LOSSY);
    }
    expect(one.passes.flatMap((p) => p.altered)).toEqual([LOSSY]);
    expect(lines.filter((l) => ALTERED_LINE.test(l.msg)).map((l) => l.registryName)).toEqual([LOSSY]);
    expect(one.passes.flatMap((p) => p.outcomes).filter((o) => o.result === 'failed')).toEqual([]);
  });
});

describe('an upstream registry that does not return the ownership record', () => {
  let one: InProcessPublisher;
  const reader = () => upstreamReader(registry.url);
  const strip = (server: Record<string, unknown>) => {
    const provided = (server['_meta'] as Record<string, Record<string, unknown>> | undefined)?.[PUBLISHER_PROVIDED_KEY];
    if (provided) delete provided[OWNERSHIP_KEY];
  };

  beforeAll(async () => {
    // Only the name of this case; another owner, so `lossy` is simply someone else's here.
    proxy.setRewrite((_request, body) => {
      for (const server of serversIn(body)) if (server['name'] === STRIPPED) strip(server);
    });
    one = await startInProcessPublisher({ cluster, registryUrl: proxy.url, tokenFile, owner: 'stripped-e2e', config: { resyncIntervalMs: RESYNC_MS } });
  });
  afterAll(async () => {
    await one?.stop();
    proxy.setRewrite(undefined);
  });

  it('reports the publish as failed, with a PublishFailed Event, and does not loop on new versions', async () => {
    const postsFrom = proxy.seen.log.length;
    await exportServer('stripped');
    const failed = await eventually(async () => one.passes.flatMap((p) => p.outcomes).find((o) => o.result === 'failed' && o.write.name === STRIPPED), 20_000, 'the failed publish');
    expect(failed.write.kind).toBe('publish');
    expect(failed.result === 'failed' && failed.error.message).toMatch(/did not keep its ownership record/);
    const event = one.events.find((e) => e.reason === 'PublishFailed' && e.regarding.name === 'stripped');
    expect(event?.type).toBe('Warning');
    expect(event?.note).toMatch(/did not keep its ownership record/);

    const from = one.passes.length;
    await eventually(async () => (resyncsSince(one, from) >= 3 ? true : undefined), 15_000, 'three resyncs after the failed publish');
    // The registry holds what was sent, once; the publisher never published again.
    const versions = await reader().versionsOf(STRIPPED);
    expect(versions.map((v) => [v.server.version, statusOf(v)])).toEqual([['v1.2.0', 'active']]);
    expect((versions[0]!.server._meta?.[PUBLISHER_PROVIDED_KEY] as Record<string, { owner: string }>)[OWNERSHIP_KEY]?.owner).toBe('stripped-e2e');
    expect(postsOf(postsFrom)).toBe(1);
    expect(one.passes.flatMap((p) => p.outcomes).filter((o) => o.write.name === STRIPPED).map((o) => `${o.result} ${o.write.kind}`)).toEqual(['failed publish']);
    expect(one.written()).toEqual([]);
  });

  it('once the registry returns the record again, the name is ours and unchanged: still no new version', async () => {
    proxy.setRewrite(undefined);
    const postsFrom = proxy.seen.log.length;
    const from = one.passes.length;
    await eventually(async () => (resyncsSince(one, from) >= 2 ? true : undefined), 10_000, 'two resyncs');
    const last = one.passes.filter((p) => p.trigger === 'resync' && p.error === undefined).at(-1)!;
    expect(last.diff?.unchanged).toContain(STRIPPED);
    expect(last.diff?.conflicts.map((c) => c.name)).not.toContain(STRIPPED);
    expect(postsOf(postsFrom)).toBe(0);
    expect((await reader().versionsOf(STRIPPED)).map((v) => v.server.version)).toEqual(['v1.2.0']);
  });
});

describe('a ToolHive registry (stand-in) that drops the title', () => {
  let one: InProcessPublisher;
  const { logger, lines } = capturingLogger();
  const posts = (name: string) => standIn.requests.filter((r) => r.method === 'POST' && r.path === '/v1/entries' && (JSON.parse(r.body) as { server: { name: string } }).server.name === name).length;

  beforeAll(async () => {
    one = await startInProcessPublisher({ cluster, registryUrl: standIn.url, flavor: 'toolhive', owner: 'lossy-toolhive-e2e', logger, config: { resyncIntervalMs: RESYNC_MS } });
  });
  afterAll(async () => {
    await one?.stop();
  });

  it('publishes once and, over several resyncs, never again; the alteration is reported once', async () => {
    await eventually(async () => (standIn.entries.get(LOSSY)?.versions.size === 1 ? true : undefined), 20_000, `${LOSSY} in the stand-in`);
    // Read back over HTTP: the title is gone.
    const response = await fetch(`${standIn.url}/registry/default/v0.1/servers/${encodeURIComponent(LOSSY)}/versions`);
    const read = (await response.json()) as { servers: { server: Record<string, unknown> }[] };
    expect(read.servers.map((s) => s.server['version'])).toEqual(['v1.2.0']);
    expect(read.servers[0]!.server).not.toHaveProperty('title');

    const from = one.passes.length;
    await eventually(async () => (resyncsSince(one, from) >= 3 ? true : undefined), 15_000, 'three resyncs after the publish');
    expect([...standIn.entries.get(LOSSY)!.versions.keys()]).toEqual(['v1.2.0']);
    expect(posts(LOSSY)).toBe(1);
    expect(standIn.requests.filter((r) => r.method === 'DELETE')).toEqual([]);
    expect(one.written().filter((o) => o.write.name === LOSSY).map((o) => `${o.write.kind} ${o.write.version}`)).toEqual(['publish v1.2.0']);
    expect(one.passes.flatMap((p) => p.altered).filter((name) => name === LOSSY)).toEqual([LOSSY]);
    expect(lines.filter((l) => ALTERED_LINE.test(l.msg) && l.registryName === LOSSY)).toHaveLength(1);
    expect(one.passes.flatMap((p) => p.outcomes).filter((o) => o.result === 'failed')).toEqual([]);
  });
});
