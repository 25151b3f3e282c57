// The publisher's holds (shared/spec/publishing.md §1) end to end: a real kube-apiserver +
// etcd, the real upstream MCP registry (v1.8.9), the real kubectl, and an HTTPS fault proxy
// in front of the API server. Every case reads the registry back over HTTP. It proves:
//   1. a route whose status lags a spec edit is held: an edit that leaves the published
//      content alone spends no version and never retires; one that changes it ends as one
//      update (new version, then the old one retired), never a retire-then-publish gap;
//   2. a Gateway controller silent past the hold grace: the plan as it then stands is
//      applied after the grace, not before;
//   3. a few seconds of 404 for the whole Gateway API group (an API server restarting)
//      retire nothing; the pass shows the hold;
//   4. a CRD really deleted while the cache's watch missed the deletions of its objects
//      (their collection answers 404 meanwhile): its entries are retired once the absence
//      grace is over, not before (last: it deletes the HTTPRoute CRD of the shared control
//      plane). A live watch reports each object's deletion and retires at once: no hold.

import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterCacheOptions } from '../../src/kubernetes/cluster-cache.ts';
import type { PassReport } from '../../src/publisher/reconciler.ts';
import { startApiServerFaultProxy, type ApiServerFaultProxy } from '../support/apiserver-fault-proxy.ts';
import type { ControlPlane } from '../support/control-plane.ts';
import { loggerInto, startInProcessPublisher, upstreamReader, type InProcessPublisher } from '../support/publisher-harness.ts';
import { acceptRoute, apply, eventually, exportedRoute, kubectlOk, mcpServer } from '../support/publisher-cluster.ts';
import type { RegistryServer } from '../support/registry-server.ts';
import { startPublisherWorld, type PublisherWorld } from '../support/publisher-world.ts';

const GATEWAY_API = '/apis/gateway.networking.k8s.io';
const nameOf = (route: string) => `com.toolhive.k8s.mcp-servers/${route}`;
const urlOf = (path: string) => `https://mcp.company.com${path}/mcp`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let cluster: ControlPlane;
let registry: RegistryServer;
let proxy: ApiServerFaultProxy;
let tokenFile: string;
let world: PublisherWorld | undefined;
let reader: ReturnType<typeof upstreamReader>;
const running = new Set<InProcessPublisher>();
/** Each case's publisher log lines (info and up), printed when the case fails. */
let logLines: string[] = [];

/** An exported HTTPRoute in mcp-servers whose path, backend and port a case can edit. */
const route = (name: string, { path = `/${name}`, backend = name, port = 8080 }: { path?: string; backend?: string; port?: number } = {}): string =>
  exportedRoute(name, backend, {}, { path, port });

/** One publisher per case, each with its own owner, so no case touches another's names. */
async function startOne(owner: string, options: { config?: Parameters<typeof startInProcessPublisher>[0]['config']; cache?: Partial<ClusterCacheOptions>; viaProxy?: boolean } = {}): Promise<InProcessPublisher> {
  const logger = loggerInto(logLines);
  const one = await startInProcessPublisher({
    cluster,
    registryUrl: registry.url,
    tokenFile,
    owner,
    logger,
    ...(options.viaProxy ? { kubeConfig: proxy.kubeConfig() } : {}),
    ...(options.config ? { config: options.config } : {}),
    cache: { logger: logger.child({ component: 'cluster-cache' }), ...options.cache },
  });
  running.add(one);
  return one;
}

async function stopOne(one: InProcessPublisher): Promise<void> {
  running.delete(one);
  await one.stop();
}

/** Publishes `name` (MCPServer + exported, accepted route) and waits for its first version. */
async function exportAndWait(name: string): Promise<void> {
  await apply(cluster, mcpServer(name, `The ${name} server`));
  await apply(cluster, route(name));
  await acceptRoute(cluster, name);
  await eventually(async () => ((await reader.picture(nameOf(name))).join() === `${nameOf(name)}@v1.2.0:active` ? true : undefined), 30_000, `${name} published`);
}

/** Samplers still running (a failed case leaves its own): stopped after each case. */
const sampling = new Set<() => Promise<unknown>>();

/** Samples the registry's versions of `names` every 100 ms until stopped. */
function sampleRegistry(...names: string[]) {
  const samples: { at: number; lines: string[] }[] = [];
  let on = true;
  const loop = (async () => {
    while (on) {
      samples.push({ at: Date.now(), lines: await reader.picture(...names) });
      await sleep(100);
    }
  })();
  loop.catch(() => {}); // reported by stop()
  const stop = async () => {
    on = false;
    sampling.delete(stop);
    await loop;
    return samples;
  };
  sampling.add(stop);
  return { samples, stop };
}

const writesFor = (one: InProcessPublisher, name: string, from = 0) =>
  one.passes
    .slice(from)
    .flatMap((pass) => pass.outcomes.filter((o) => o.result === 'written' && o.write.name === name))
    .map((o) => `${o.write.kind} ${o.write.version}`);

const holdsIn = (pass: PassReport, name: string) => pass.rules?.holds.filter((h) => h.name === name) ?? [];

beforeAll(async () => {
  world = await startPublisherWorld('holds-e2e');
  ({ cluster, registry, tokenFile } = world);
  reader = upstreamReader(registry.url);
  proxy = await startApiServerFaultProxy(cluster);
}, 240_000);

afterEach(async (context) => {
  for (const stop of [...sampling]) await stop().catch(() => {});
  proxy?.heal();
  if (context.task.result?.state === 'fail') {
    // eslint-disable-next-line no-console
    console.error(`publisher log of the failed case:\n${logLines.join('\n')}`);
  }
  logLines = [];
  // A failed case leaves its publisher running: stop it before the next case.
  for (const one of [...running]) await stopOne(one);
});

afterAll(async () => {
  for (const one of running) await one.stop();
  await proxy?.close();
  await world?.stop();
});

describe('publisher holds against a real API server and a real registry', () => {
  it('a spec edit with a lagging status: same content spends nothing; new content is one update, never a gap', async () => {
    const NAME = nameOf('lagging');
    const one = await startOne('holds-stale-status');
    await exportAndWait('lagging');

    // 1a. Only the backend port changes: the published content is the same.
    let from = one.passes.length;
    let requestsFrom = one.requests.length;
    let sampler = sampleRegistry(NAME);
    const editedAt = Date.now();
    await apply(cluster, route('lagging', { port: 9090 }));
    const held = await one.passWhere(from, (p) => p.newHolds.some((h) => h.name === NAME && h.category === 'stale status'), 'the stale-status hold');
    expect(holdsIn(held, NAME)[0]!.reason).toMatch(/has not accepted generation 2 of the route yet/);
    // The Gateway controller catches up 3 s after the edit.
    await sleep(Math.max(0, editedAt + 3_000 - Date.now()));
    const acceptedAt = one.passes.length;
    await acceptRoute(cluster, 'lagging');
    await one.passWhere(acceptedAt, (p) => p.rules !== undefined && holdsIn(p, NAME).length === 0 && p.plan.entries.some((e) => e.name === NAME), 'a pass with the status caught up');
    await sleep(500);
    let samples = await sampler.stop();
    expect(samples.length).toBeGreaterThan(3);
    // Never a retire, never a gap: the same single version the whole time.
    expect(new Set(samples.map((s) => s.lines.join()))).toEqual(new Set([`${NAME}@v1.2.0:active`]));
    expect(writesFor(one, NAME, from)).toEqual([]);
    expect(one.requests.slice(requestsFrom).filter((r) => r.operation === 'publish' || r.operation === 'status')).toEqual([]);
    expect((await reader.latest(NAME))!.server.remotes.map((r) => r.url)).toEqual([urlOf('/lagging')]);

    // 1b. The path prefix changes, so the URL does: held until the status catches up, then one update.
    from = one.passes.length;
    requestsFrom = one.requests.length;
    sampler = sampleRegistry(NAME);
    const edited2At = Date.now();
    await apply(cluster, route('lagging', { path: '/lagging-v2', port: 9090 }));
    await one.passWhere(from, (p) => p.newHolds.some((h) => h.name === NAME && h.category === 'stale status'), 'the second stale-status hold');
    await sleep(Math.max(0, edited2At + 3_000 - Date.now()));
    const accepted2At = Date.now();
    await acceptRoute(cluster, 'lagging');
    await eventually(
      async () => ((await reader.picture(NAME)).join() === `${NAME}@v1.2.0:deleted,${NAME}@v1.2.1-0.1:active` ? true : undefined),
      20_000,
      'the update and the retire of the old version',
    );
    await sleep(300);
    samples = await sampler.stop();
    // Before the status caught up: untouched.
    const before = samples.filter((s) => s.at < accepted2At);
    expect(before.length).toBeGreaterThan(3);
    expect(new Set(before.map((s) => s.lines.join()))).toEqual(new Set([`${NAME}@v1.2.0:active`]));
    // Throughout: some version active; the new one appears before the old one goes.
    for (const sample of samples) expect(sample.lines.some((l) => l.endsWith(':active')), sample.lines.join()).toBe(true);
    const seen = [...new Set(samples.map((s) => s.lines.join()))];
    expect(seen.filter((s) => s !== `${NAME}@v1.2.0:active,${NAME}@v1.2.1-0.1:active`)).toEqual([
      `${NAME}@v1.2.0:active`,
      `${NAME}@v1.2.0:deleted,${NAME}@v1.2.1-0.1:active`,
    ]);
    expect(writesFor(one, NAME, from)).toEqual(['update v1.2.1-0.1', 'retire v1.2.0']);
    const latest = (await reader.latest(NAME))!;
    expect(latest.server.version).toBe('v1.2.1-0.1');
    expect(latest.server.remotes.map((r) => r.url)).toEqual([urlOf('/lagging-v2')]);
    expect(one.passes.flatMap((p) => p.outcomes).filter((o) => o.result === 'failed')).toEqual([]);
    await stopOne(one);
  }, 90_000);

  it('a Gateway controller silent past the hold grace: the plan as it stands is applied after the grace, not before', async () => {
    const NAME = nameOf('silent');
    const HOLD_GRACE_MS = 2_000;
    const one = await startOne('holds-silent-controller', { config: { rules: { holdGraceMs: HOLD_GRACE_MS } } });
    await exportAndWait('silent');

    // The route now sends its traffic to a Service no MCP resource is behind; the Gateway
    // controller never writes a status for the new generation.
    const from = one.passes.length;
    const sampler = sampleRegistry(NAME);
    await apply(cluster, route('silent', { backend: 'elsewhere' }));
    const heldPass = await one.passWhere(from, (p) => p.newHolds.some((h) => h.name === NAME && h.category === 'stale status' && !h.expired), 'the stale-status hold');
    const since = holdsIn(heldPass, NAME)[0]!.since;

    // Within the grace: nothing written.
    await eventually(async () => (Date.now() >= since + HOLD_GRACE_MS - 300 ? true : undefined), 10_000, 'most of the grace');
    expect(await reader.picture(NAME)).toEqual([`${NAME}@v1.2.0:active`]);
    expect(writesFor(one, NAME, from)).toEqual([]);

    // After it: the plan as it stands (the route is not accepted at its generation) is applied.
    await eventually(async () => ((await reader.picture(NAME)).join() === `${NAME}@v1.2.0:deleted` ? true : undefined), 20_000, 'the retire after the grace');
    const samples = await sampler.stop();
    const firstChange = samples.find((s) => s.lines.join() !== `${NAME}@v1.2.0:active`);
    expect(firstChange?.at ?? Date.now()).toBeGreaterThanOrEqual(since + HOLD_GRACE_MS);
    expect(writesFor(one, NAME, from)).toEqual(['retire v1.2.0']);
    const retiring = one.passes.slice(from).find((p) => p.outcomes.some((o) => o.result === 'written' && o.write.name === NAME))!;
    expect(holdsIn(retiring, NAME)).toMatchObject([{ category: 'stale status', expired: true, since }]);
    expect(retiring.newHolds.filter((h) => h.name === NAME)).toMatchObject([{ expired: true }]);
    await stopOne(one);
  }, 60_000);

  it('404 for the Gateway API group for a few seconds: held, nothing retired, the same version stays', async () => {
    const NAME = nameOf('blip');
    // Resyncs every second: passes keep coming during the blip, each one a chance to retire.
    const one = await startOne('holds-discovery-blip', {
      viaProxy: true,
      config: { resyncIntervalMs: 1_000 },
      cache: { absentGraceMs: 60_000, discoveryIntervalMs: 500, backoff: { initialMs: 100, maxMs: 500 } },
    });
    await exportAndWait('blip');
    // A watch answered 429 while the API server's watch cache initializes leaves its kind uncertain until the relist.
    await eventually(async () => (one.cache.uncertainKinds().size === 0 ? true : undefined), 15_000, 'nothing uncertain before the blip');

    const from = one.passes.length;
    const sampler = sampleRegistry(NAME);
    const failedAt = Date.now();
    proxy.fail(GATEWAY_API, 404);
    // Each kind's watch ends, its relist gets 404, and discovery no longer lists the group.
    await eventually(async () => (/not listed by discovery since /.test(one.cache.uncertainKinds().get('HTTPRoute') ?? '') ? true : undefined), 15_000, 'HTTPRoute not listed by discovery');
    const held = await one.passWhere(from, (p) => p.newHolds.some((h) => h.name === NAME && h.category === 'unknown kind'), 'the unknown-kind hold');
    expect(holdsIn(held, NAME)[0]!.reason).toMatch(/^(HTTPRoute|Gateway|GatewayClass) objects are not known for certain: /);
    await sleep(Math.max(0, failedAt + 3_000 - Date.now()));
    const passesDuringBlip = one.passes.length - from;
    proxy.heal();

    await eventually(async () => (one.cache.uncertainKinds().size === 0 ? true : undefined), 20_000, 'nothing uncertain after the blip');
    const healed = one.passes.length;
    await one.passWhere(healed, (p) => p.rules !== undefined && holdsIn(p, NAME).length === 0, 'a pass without the hold');
    const samples = await sampler.stop();

    expect(passesDuringBlip).toBeGreaterThanOrEqual(1);
    expect(new Set(samples.map((s) => s.lines.join()))).toEqual(new Set([`${NAME}@v1.2.0:active`]));
    expect(writesFor(one, NAME, from)).toEqual([]);
    expect(one.passes.slice(from).flatMap((p) => p.outcomes)).toEqual([]);
    expect(proxy.faulted.some((request) => request.startsWith(`GET ${GATEWAY_API}`))).toBe(true);
    await stopOne(one);
  }, 60_000);

  it('a CRD really deleted: its entries are retired once the grace is over, not before', async () => {
    const NAME = nameOf('doomed');
    const GRACE_MS = 2_000;
    const one = await startOne('holds-crd-deleted', {
      viaProxy: true,
      config: { resyncIntervalMs: 1_000, rules: { holdGraceMs: GRACE_MS } },
      cache: { absentGraceMs: GRACE_MS, discoveryIntervalMs: 500, backoff: { initialMs: 100, maxMs: 500 } },
    });
    await exportAndWait('doomed');
    const statusOf = () => one.cache.status().find((s) => s.kind === 'HTTPRoute')!;

    // Deleting the CRD deletes its objects first, which a live watch reports one by one. The
    // grace is for a cache that missed them (its watch was down, e.g. an API server
    // restarting): keep the routes' collection answering 404 while the CRD goes.
    const from = one.passes.length;
    const sampler = sampleRegistry(NAME);
    proxy.fail(`${GATEWAY_API}/v1/httproutes`, 404);
    await kubectlOk(cluster, ['delete', 'crd', 'httproutes.gateway.networking.k8s.io', '--wait=true', '--timeout=60s']);
    const absentSince = await eventually(async () => statusOf().absentSince, 20_000, 'HTTPRoute absent');
    proxy.heal();
    expect(one.cache.uncertainKinds().get('HTTPRoute')).toMatch(/does not list httproutes since /);

    // Within the grace: held (a pass now shows it; so do the resyncs) and still active.
    await one.publisher.reconciler.pass('test');
    const held = await one.passWhere(from, (p) => holdsIn(p, NAME).some((h) => h.category === 'unknown kind' && !h.expired), 'the unknown-kind hold', 5_000);
    expect(holdsIn(held, NAME)[0]!.reason).toMatch(/^HTTPRoute objects are not known for certain: /);
    await eventually(async () => (Date.now() >= absentSince + GRACE_MS - 300 ? true : undefined), 10_000, 'most of the grace');
    expect(one.cache.list('HTTPRoute').length).toBeGreaterThan(0);
    expect(await reader.picture(NAME)).toEqual([`${NAME}@v1.2.0:active`]);

    // After it: the kind is empty, the entry retired.
    await eventually(async () => ((await reader.picture(NAME)).join() === `${NAME}@v1.2.0:deleted` ? true : undefined), 20_000, 'the retire after the grace');
    const samples = await sampler.stop();
    const firstChange = samples.find((s) => s.lines.join() !== `${NAME}@v1.2.0:active`);
    expect(firstChange?.at ?? Date.now()).toBeGreaterThanOrEqual(absentSince + GRACE_MS);
    expect(one.cache.list('HTTPRoute')).toEqual([]);
    expect(writesFor(one, NAME, from)).toEqual(['retire v1.2.0']);
    await stopOne(one);
  }, 90_000);
});
