// ClusterCache when discovery stops listing a kind, against a real kube-apiserver + etcd
// (test/support/control-plane.ts) behind an HTTPS fault proxy (apiserver-fault-proxy.ts):
// a few seconds of 404 for the whole Gateway API group, as kube-apiserver answers for
// custom resources right after a restart (kubernetes#71218, #115241), must not empty
// anything; a CRD really deleted empties its kind only after absentGraceMs.

import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterCache, type CacheChange, type ClusterCacheOptions, type KindStatus } from '../../src/kubernetes/cluster-cache.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { startApiServerFaultProxy, type ApiServerFaultProxy } from '../support/apiserver-fault-proxy.ts';
import { startControlPlane, type ControlPlane } from '../support/control-plane.ts';

const GATEWAY_API = '/apis/gateway.networking.k8s.io';

const objects = `
apiVersion: v1
kind: Namespace
metadata:
  name: team-a
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: example
spec:
  controllerName: example.com/gateway
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: public
  namespace: team-a
spec:
  gatewayClassName: example
  listeners:
  - name: http
    protocol: HTTP
    port: 80
${['github', 'temp']
  .map(
    (name) => `---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: ${name}
  namespace: team-a
spec:
  parentRefs:
  - name: public
  rules:
  - backendRefs:
    - name: mcp-${name}
      port: 8080
`,
  )
  .join('')}`;

async function eventually<T>(what: string, probe: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function kindStatus(cache: ClusterCache, kind: string): KindStatus {
  const status = cache.status().find((s) => s.kind === kind);
  if (!status) throw new Error(`no status for ${kind}`);
  return status;
}

const GATEWAY_KINDS = ['GatewayClass', 'Gateway', 'HTTPRoute'];
const ABSENT = /^API group gateway\.networking\.k8s\.io\/v1 not listed by discovery since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('ClusterCache: kinds discovery stops listing, against a real kube-apiserver', () => {
  let cp: ControlPlane;
  let proxy: ApiServerFaultProxy;
  let cache: ClusterCache;
  const changes: (CacheChange & { at: number })[] = [];

  async function kubectl(args: string[], input?: string): Promise<string> {
    const result = await cp.kubectl(args, input === undefined ? {} : { input });
    if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed:\n${result.stderr}`);
    return result.stdout;
  }

  function viaProxy(options: ClusterCacheOptions): ClusterCache {
    return new ClusterCache({
      kubeConfig: proxy.kubeConfig(),
      // Short intervals so discovery and recovery happen within a test's time.
      discoveryIntervalMs: 500,
      backoff: { initialMs: 100, maxMs: 500 },
      requestTimeoutMs: 10_000,
      ...options,
    });
  }

  beforeAll(async () => {
    cp = await startControlPlane();
    await kubectl(['apply', '--server-side', '-f', '-'], objects);
    proxy = await startApiServerFaultProxy(cp);
    cache = viaProxy({ absentGraceMs: 60_000 });
    cache.onChange((change) => changes.push({ ...change, at: Date.now() }));
    cache.start();
    await cache.waitForSync(30_000);
    // Synced is not settled: right after a CRD is created, kube-apiserver answers its first
    // watches 429 while its watch cache initializes, and the kind stays uncertain until the relist.
    await eventually('nothing uncertain after the first sync', () => cache.uncertainKinds().size === 0);
  });

  afterAll(async () => {
    await cache?.stop();
    await proxy?.close();
    await cp?.stop();
  });

  it('holds the Gateway API kinds through 3 s of 404s for their group, then relists them', async () => {
    expect(cache.uncertainKinds()).toEqual(new Map());
    expect(cache.list('HTTPRoute')).toHaveLength(2);
    changes.length = 0;

    const started = Date.now();
    proxy.fail(GATEWAY_API, 404);
    // Each kind's watch ends, its reconnect gets 404, and discovery no longer lists the group.
    const during = await eventually('every Gateway API kind held as absent', () => {
      const uncertain = cache.uncertainKinds();
      return GATEWAY_KINDS.every((kind) => ABSENT.test(uncertain.get(kind) ?? '')) && uncertain;
    });
    expect([...during.keys()].sort()).toEqual([...GATEWAY_KINDS].sort());
    // Deleted while the group is away: still held now, gone after the relist.
    await kubectl(['delete', 'httproute', 'temp', '-n', 'team-a', '--wait=true']);

    while (Date.now() - started < 3_000) {
      expect(cache.get('HTTPRoute', 'team-a', 'github')).toBeDefined();
      expect(cache.get('HTTPRoute', 'team-a', 'temp')).toBeDefined();
      expect(cache.get('Gateway', 'team-a', 'public')).toBeDefined();
      expect(cache.get('GatewayClass', '', 'example')).toBeDefined();
      expect(cache.isSynced()).toBe(true);
      expect([...cache.uncertainKinds().keys()].sort()).toEqual([...GATEWAY_KINDS].sort());
      await sleep(100);
    }
    const held = kindStatus(cache, 'HTTPRoute');
    expect(held).toMatchObject({ served: false, synced: true, version: 'v1', objects: 2 });
    expect(held.absentSince).toBeGreaterThanOrEqual(started);
    expect(proxy.faulted).toContain(`GET ${GATEWAY_API}/v1`);
    expect(changes).toEqual([]);

    proxy.heal();
    await eventually('nothing uncertain', () => cache.uncertainKinds().size === 0);
    for (const kind of GATEWAY_KINDS) expect(kindStatus(cache, kind), kind).toMatchObject({ served: true, synced: true, absentSince: undefined });
    expect(cache.get('HTTPRoute', 'team-a', 'github')).toBeDefined();
    expect(cache.get('HTTPRoute', 'team-a', 'temp')).toBeUndefined();
    expect(cache.get('Gateway', 'team-a', 'public')).toBeDefined();
    // Nothing was cleared: the only deletion is the route really deleted meanwhile.
    expect(changes.map((c) => `${c.type} ${c.kind}/${c.object.metadata?.name}`)).toEqual(['deleted HTTPRoute/temp']);

    // Watched again: a new route shows up.
    await kubectl(
      ['apply', '--server-side', '-f', '-'],
      'apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: { name: after, namespace: team-a }\nspec: { parentRefs: [{ name: public }] }\n',
    );
    await eventually('HTTPRoute team-a/after', () => cache.get('HTTPRoute', 'team-a', 'after'));
  }, 60_000);

  it('empties the kind of a deleted CRD once discovery has not listed it for the grace, not before', async () => {
    const logs: { msg: string; kind?: string; removed?: number }[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line));
        done();
      },
    });
    const short = viaProxy({ absentGraceMs: 2_000, logger: createLogger({ level: 'info', destination }) });
    let clearedAt = 0;
    short.onChange((change) => {
      if (change.type === 'deleted' && change.kind === 'HTTPRoute') clearedAt ||= Date.now();
    });
    try {
      short.start();
      await short.waitForSync(30_000);
      const routes = short.list('HTTPRoute').length;
      expect(routes).toBeGreaterThan(0);

      // Deleting the CRD deletes every HTTPRoute first, and a live watch would report each
      // deletion. The case the grace is for is a cache that missed them (its watch was down,
      // say during an API server restart): keep the routes' collection answering 404 while
      // the CRD goes. Discovery still goes through.
      proxy.fail(`${GATEWAY_API}/v1/httproutes`, 404);
      await kubectl(['delete', 'crd', 'httproutes.gateway.networking.k8s.io', '--wait=true', '--timeout=60s']);
      const absentSince = await eventually('HTTPRoute absent', () => kindStatus(short, 'HTTPRoute').absentSince, 20_000);
      proxy.heal();
      expect(short.uncertainKinds().get('HTTPRoute')).toMatch(/^API group gateway\.networking\.k8s\.io\/v1 does not list httproutes since /);
      expect(short.uncertainKinds().has('Gateway')).toBe(false);

      // Within the grace: held.
      await sleep(Math.max(0, absentSince + 1_500 - Date.now()));
      expect(clearedAt).toBe(0);
      expect(short.list('HTTPRoute')).toHaveLength(routes);
      expect(short.isSynced()).toBe(true);

      await eventually('HTTPRoute emptied', () => short.list('HTTPRoute').length === 0, 10_000);
      expect(clearedAt - absentSince).toBeGreaterThanOrEqual(2_000);
      expect(kindStatus(short, 'HTTPRoute')).toMatchObject({ served: false, synced: false, absentSince: undefined, objects: 0 });
      expect(short.uncertainKinds()).toEqual(new Map());
      expect(short.isSynced()).toBe(true);
      expect(logs.find((line) => line.msg === 'kind no longer served; its cache is now empty')).toMatchObject({ kind: 'HTTPRoute', removed: routes });
      expect(short.get('Gateway', 'team-a', 'public')).toBeDefined();

      // The cache with the long grace still holds the routes, and says why.
      expect(cache.list('HTTPRoute')).toHaveLength(routes);
      expect(cache.uncertainKinds().get('HTTPRoute')).toMatch(/does not list httproutes since /);
    } finally {
      await short.stop();
    }
  }, 90_000);
});
