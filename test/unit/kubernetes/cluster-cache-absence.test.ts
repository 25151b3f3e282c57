// ClusterCache when discovery stops listing a kind, and uncertainKinds(), against a fake API
// server (fake-api-server.ts) on real but short timers: a kind that was served keeps its last
// objects for absentGraceMs and is named by uncertainKinds() meanwhile; it is emptied only
// once discovery has not listed it for the whole grace. The same against a real
// kube-apiserver is in test/e2e/cluster-cache-absence.test.ts.

import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClusterCache, type ClusterCacheOptions, type KindStatus, type WatchedKind } from '../../../src/kubernetes/cluster-cache.ts';
import type { KubeObject } from '../../../src/kubernetes/objects.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { startFakeApiServer, type FakeApiServer } from './fake-api-server.ts';

const GATEWAY_V1 = '/apis/gateway.networking.k8s.io/v1';
const ROUTES = `${GATEWAY_V1}/httproutes`;

const kinds: WatchedKind[] = [
  { kind: 'Gateway', group: 'gateway.networking.k8s.io', versions: ['v1'], plural: 'gateways' },
  { kind: 'HTTPRoute', group: 'gateway.networking.k8s.io', versions: ['v1'], plural: 'httproutes' },
  { kind: 'ReferenceGrant', group: 'gateway.networking.k8s.io', versions: ['v1beta1'], plural: 'referencegrants' },
  { kind: 'Namespace', group: '', versions: ['v1'], plural: 'namespaces' },
];

function object(kind: string, apiVersion: string, name: string, namespace?: string): KubeObject {
  return { apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}), uid: `${kind}-${name}` } } as KubeObject;
}

const route = (name: string) => object('HTTPRoute', 'gateway.networking.k8s.io/v1', name, 'team-a');

async function eventually<T>(what: string, probe: () => T | undefined | false, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function kindStatus(cache: ClusterCache, kind: string): KindStatus {
  const status = cache.status().find((s) => s.kind === kind);
  if (!status) throw new Error(`no status for ${kind}`);
  return status;
}

const ISO = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z';

describe('ClusterCache: kinds discovery stops listing', () => {
  let api: FakeApiServer;
  let cache: ClusterCache | undefined;
  let logs: { msg: string; kind?: string; [key: string]: unknown }[];

  beforeEach(async () => {
    api = await startFakeApiServer();
    api.serve(GATEWAY_V1, ['gateways', 'httproutes']);
    api.serve('/api/v1', ['namespaces']);
    api.setObjects(`${GATEWAY_V1}/gateways`, [object('Gateway', 'gateway.networking.k8s.io/v1', 'public', 'team-a')]);
    api.setObjects(ROUTES, [route('github'), route('doomed')]);
    api.setObjects('/api/v1/namespaces', [object('Namespace', 'v1', 'team-a')]);
    logs = [];
  });

  afterEach(async () => {
    await cache?.stop();
    cache = undefined;
    await api.close();
  });

  async function startCache(options: ClusterCacheOptions = {}): Promise<ClusterCache> {
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line));
        done();
      },
    });
    cache = new ClusterCache({
      kubeConfig: api.kubeConfig(),
      kinds,
      discoveryIntervalMs: 100,
      backoff: { initialMs: 20, maxMs: 100 },
      requestTimeoutMs: 2_000,
      logger: createLogger({ level: 'info', destination }),
      ...options,
    });
    cache.start();
    await cache.waitForSync(5_000);
    return cache;
  }

  it('names every kind as uncertain until discovery has answered', () => {
    cache = new ClusterCache({ kubeConfig: api.kubeConfig(), kinds });
    const uncertain = cache.uncertainKinds();
    expect([...uncertain.keys()]).toEqual(kinds.map((kind) => kind.kind));
    expect(uncertain.get('HTTPRoute')).toBe('API discovery has not answered for httproutes.gateway.networking.k8s.io yet');
    expect(kindStatus(cache, 'HTTPRoute')).toMatchObject({ absentSince: undefined, lastFailureTime: undefined });
  });

  it('leaves healthy kinds and a kind never served out of uncertainKinds()', async () => {
    const cache = await startCache();
    expect(cache.uncertainKinds()).toEqual(new Map());
    expect(kindStatus(cache, 'ReferenceGrant')).toMatchObject({ served: false, synced: false, absentSince: undefined });
    expect(cache.list('HTTPRoute')).toHaveLength(2);
  });

  it('holds a kind whose group version answers 404 and relists it when it is listed again', async () => {
    const cache = await startCache({ absentGraceMs: 60_000 });
    const deleted: string[] = [];
    cache.onChange((change) => {
      if (change.type === 'deleted') deleted.push(`${change.kind}/${change.object.metadata?.name}`);
    });

    const before = Date.now();
    api.fail('/apis/gateway.networking.k8s.io', 404);
    // The watches that end first fail on their 404 (uncertain already); discovery's next round makes them absent.
    const uncertain = await eventually('Gateway API kinds absent', () => {
      const map = cache.uncertainKinds();
      return /not listed/.test(map.get('Gateway') ?? '') && /not listed/.test(map.get('HTTPRoute') ?? '') && map;
    });
    expect(uncertain.get('HTTPRoute')).toMatch(new RegExp(`^API group gateway\\.networking\\.k8s\\.io/v1 not listed by discovery since ${ISO}$`));
    expect(uncertain.has('Namespace')).toBe(false);
    expect(uncertain.has('ReferenceGrant')).toBe(false);

    // Held: the last objects keep answering and readiness is unaffected.
    const status = kindStatus(cache, 'HTTPRoute');
    expect(status).toMatchObject({ served: false, synced: true, version: 'v1', objects: 2 });
    expect(status.absentSince).toBeGreaterThanOrEqual(before);
    expect(Date.parse(uncertain.get('HTTPRoute')!.split(' since ')[1]!)).toBe(status.absentSince);
    expect(cache.get('HTTPRoute', 'team-a', 'github')).toBeDefined();
    expect(cache.get('Gateway', 'team-a', 'public')).toBeDefined();
    expect(cache.isSynced()).toBe(true);
    // Discovery keeps looking, with the back-off rather than the full interval.
    const rounds = api.requests.filter((path) => path === GATEWAY_V1).length;
    await sleep(300);
    expect(api.requests.filter((path) => path === GATEWAY_V1).length).toBeGreaterThan(rounds + 1);
    expect(deleted).toEqual([]);

    // Deleted while the group was away: the relist after its return drops it.
    api.setObjects(ROUTES, [route('github')]);
    api.heal();
    await eventually('nothing uncertain', () => cache.uncertainKinds().size === 0);
    expect(kindStatus(cache, 'HTTPRoute')).toMatchObject({ served: true, synced: true, absentSince: undefined, objects: 1 });
    expect(cache.get('HTTPRoute', 'team-a', 'github')).toBeDefined();
    expect(deleted).toEqual(['HTTPRoute/doomed']);
    expect(logs.some((line) => line.kind === 'HTTPRoute' && line.msg === 'kind listed by discovery again; re-listing')).toBe(true);
    expect(logs.some((line) => line.msg === 'kind no longer served; its cache is now empty')).toBe(false);

    // And it is watched again: a later absence is a new one.
    api.fail(ROUTES, 404);
    api.serve(GATEWAY_V1, ['gateways']);
    const again = await eventually('HTTPRoute absent again', () => kindStatus(cache, 'HTTPRoute').absentSince && cache.uncertainKinds().get('HTTPRoute'));
    expect(again).toMatch(new RegExp(`^API group gateway\\.networking\\.k8s\\.io/v1 does not list httproutes since ${ISO}$`));
    expect(cache.uncertainKinds().has('Gateway')).toBe(false);
  });

  it('empties the kind once discovery has not listed it for the whole grace, not before', async () => {
    // Discovery rounds far apart: only the list's 404 (discovery at once) and the end of the grace bring one.
    const cache = await startCache({ absentGraceMs: 400, discoveryIntervalMs: 10_000, backoff: { initialMs: 5_000, maxMs: 5_000 } });
    let clearedAt = 0;
    cache.onChange((change) => {
      if (change.type === 'deleted' && change.kind === 'HTTPRoute') clearedAt ||= Date.now();
    });
    api.serve(GATEWAY_V1, ['gateways']); // the HTTPRoute CRD deleted
    api.fail(ROUTES, 404);
    const absentSince = await eventually('HTTPRoute absent', () => kindStatus(cache, 'HTTPRoute').absentSince);
    expect(cache.list('HTTPRoute')).toHaveLength(2);

    await eventually('HTTPRoute emptied', () => cache.list('HTTPRoute').length === 0);
    expect(clearedAt - absentSince).toBeGreaterThanOrEqual(400);
    // Cleared by the round due when the grace ended, not one interval or back-off later.
    expect(clearedAt - absentSince).toBeLessThan(400 + 1_500);
    expect(kindStatus(cache, 'HTTPRoute')).toMatchObject({ served: false, synced: false, version: undefined, absentSince: undefined, objects: 0 });
    expect(cache.uncertainKinds()).toEqual(new Map());
    expect(cache.isSynced()).toBe(true);
    expect(logs.find((line) => line.msg === 'kind no longer served; its cache is now empty')).toMatchObject({ kind: 'HTTPRoute', removed: 2 });
    expect(cache.list('Gateway')).toHaveLength(1);
  });

  it('keeps holding past the grace while discovery cannot answer for the kind', async () => {
    const cache = await startCache({ absentGraceMs: 200 });
    api.fail(GATEWAY_V1, 404, { exact: true });
    await eventually('HTTPRoute absent', () => kindStatus(cache, 'HTTPRoute').absentSince);
    api.heal();
    api.fail(GATEWAY_V1, 503, { exact: true });
    await sleep(400);
    // Not confirmed absent for the whole grace: still held, and said so.
    expect(cache.list('HTTPRoute')).toHaveLength(2);
    expect(cache.uncertainKinds().get('HTTPRoute')).toMatch(/not listed by discovery since .*\(grace over; emptied once discovery confirms\)$/);

    api.heal();
    await eventually('HTTPRoute watched again', () => cache.uncertainKinds().size === 0);
    expect(cache.list('HTTPRoute')).toHaveLength(2);
  });

  it('with absentGraceMs 0 empties the kind at once', async () => {
    const cache = await startCache({ absentGraceMs: 0 });
    api.fail('/apis/gateway.networking.k8s.io', 404);
    await eventually('HTTPRoute emptied', () => cache.list('HTTPRoute').length === 0 && cache.list('Gateway').length === 0);
    expect(cache.uncertainKinds()).toEqual(new Map());
    expect(logs.some((line) => line.msg === 'kind no longer listed by discovery; keeping its last objects for the absence grace')).toBe(false);
  });

  it('names a kind whose watch failed until a list completes again', async () => {
    const cache = await startCache({ backoff: { initialMs: 300, maxMs: 300, jitter: 0 } });
    const before = Date.now();
    api.fail(ROUTES, 500);
    const reason = await eventually('HTTPRoute uncertain', () => cache.uncertainKinds().get('HTTPRoute'));
    expect(reason).toMatch(new RegExp(`^watch of /apis/gateway\\.networking\\.k8s\\.io/v1/httproutes failed at ${ISO} and has not re-listed since: `));
    expect(kindStatus(cache, 'HTTPRoute').lastFailureTime).toBeGreaterThanOrEqual(before);
    expect(cache.uncertainKinds().has('Gateway')).toBe(false);
    expect(cache.isSynced()).toBe(true);

    // The relist is announced whether or not it changed objects.
    let certainAt = 0;
    cache.onCertain(() => (certainAt ||= Date.now()));
    api.heal();
    await eventually('HTTPRoute relisted', () => !cache.uncertainKinds().has('HTTPRoute'));
    expect(kindStatus(cache, 'HTTPRoute').lastSyncTime).toBeGreaterThan(kindStatus(cache, 'HTTPRoute').lastFailureTime!);
    expect(certainAt).toBeGreaterThan(0);
  });

  it('names the kinds discovery failed for in its latest round', async () => {
    const cache = await startCache();
    api.fail(GATEWAY_V1, 503, { exact: true });
    const uncertain = await eventually('Gateway API kinds uncertain', () => cache.uncertainKinds().size >= 2 && cache.uncertainKinds());
    expect([...uncertain.keys()].sort()).toEqual(['Gateway', 'HTTPRoute']);
    expect(uncertain.get('Gateway')).toMatch(/^API discovery failed for \/apis\/gateway\.networking\.k8s\.io\/v1\/gateways: GET \/apis\/gateway\.networking\.k8s\.io\/v1: HTTP 503/);
    // Only discovery failed: nothing is dropped, nobody stops watching.
    expect(kindStatus(cache, 'HTTPRoute')).toMatchObject({ served: true, synced: true, absentSince: undefined, objects: 2 });

    let certain = 0;
    cache.onCertain(() => certain++);
    api.heal();
    await eventually('nothing uncertain', () => cache.uncertainKinds().size === 0);
    // Discovery answering again is announced: no object changed.
    await eventually('announced', () => certain > 0);
  });
});
