// Leader election against a real kube-apiserver, with lease timings shrunk to seconds:
// one leader among several candidates, a handover on stop() within a retry period, and a
// leader cut off from the API server (a TCP proxy drops its connections) that stops its
// work before anybody else starts: never two leaders at once.

import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaderElector } from '../../src/leader-election/elector.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { startControlPlane, type ControlPlane } from '../support/control-plane.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

const NAMESPACE = 'default';
const TIMING = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 250 };

let cluster: ControlPlane;
let proxy: TcpProxy;

interface Candidate {
  elector: LeaderElector;
  /** [time, leading] for every change. */
  changes: [number, boolean][];
  /** Starts and stops of the leader's work. */
  work: [number, 'start' | 'stop'][];
}

function kubeConfigVia(server?: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(cluster.kubeconfigPath);
  if (!server) return kubeConfig;
  const clusters = kubeConfig.clusters.map((c) => ({ ...c, server }));
  kubeConfig.loadFromOptions({ clusters, users: kubeConfig.users, contexts: kubeConfig.contexts, currentContext: kubeConfig.currentContext });
  return kubeConfig;
}

function candidate(lease: string, identity: string, kubeConfig = kubeConfigVia()): Candidate {
  const result: Candidate = { elector: undefined as unknown as LeaderElector, changes: [], work: [] };
  result.elector = new LeaderElector({
    kubeConfig,
    namespace: NAMESPACE,
    name: lease,
    identity,
    timing: TIMING,
    logger: silentLogger(),
    work: async () => {
      result.work.push([Date.now(), 'start']);
      return { stop: async () => void result.work.push([Date.now(), 'stop']) };
    },
    onLeadershipChange: (leading) => result.changes.push([Date.now(), leading]),
  });
  return result;
}

async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<number> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return Date.now();
}

async function holder(lease: string): Promise<string> {
  const result = await cluster.kubectl(['get', 'lease', lease, '-n', NAMESPACE, '-o', 'jsonpath={.spec.holderIdentity}']);
  return result.stdout;
}

/** Never two leaders: every leadership interval of one candidate is disjoint from the other's. */
function intervals(c: Candidate, end: number): [number, number][] {
  const spans: [number, number][] = [];
  let from: number | undefined;
  for (const [at, leading] of c.changes) {
    if (leading) from = at;
    else if (from !== undefined) {
      spans.push([from, at]);
      from = undefined;
    }
  }
  if (from !== undefined) spans.push([from, end]);
  return spans;
}

function overlaps(a: [number, number][], b: [number, number][]): boolean {
  return a.some(([s1, e1]) => b.some(([s2, e2]) => s1 < e2 && s2 < e1));
}

beforeAll(async () => {
  cluster = await startControlPlane({ installCrds: false });
  const url = new URL(cluster.server);
  proxy = await startTcpProxy(url.hostname, Number(url.port));
}, 180_000);

afterAll(async () => {
  await proxy?.close();
  await cluster?.stop();
});

describe('leader election', () => {
  it('elects exactly one of three candidates and records it in the Lease', async () => {
    const candidates = ['a', 'b', 'c'].map((id) => candidate('three', id));
    for (const c of candidates) c.elector.start();
    await until('a leader', () => candidates.some((c) => c.elector.isLeader()));
    // Several renew periods later, still exactly one, and it is the Lease's holder.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const leaders = candidates.filter((c) => c.elector.isLeader());
    expect(leaders).toHaveLength(1);
    expect(await holder('three')).toBe(leaders[0]!.elector.identity);
    expect(candidates.reduce((n, c) => n + c.work.filter(([, what]) => what === 'start').length, 0)).toBe(1);
    await Promise.all(candidates.map((c) => c.elector.stop()));
  });

  it('hands over within about a retry period when the leader stops, after its work has stopped', async () => {
    const first = candidate('handover', 'first');
    first.elector.start();
    await until('first to lead', () => first.elector.isLeader());
    const second = candidate('handover', 'second');
    second.elector.start();
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(second.elector.isLeader()).toBe(false);
    const stopAt = Date.now();
    await first.elector.stop();
    const tookOverAt = await until('second to lead', () => second.elector.isLeader());
    console.log(`handover after a clean stop: ${tookOverAt - stopAt} ms`);
    expect(tookOverAt - stopAt).toBeLessThan(TIMING.leaseDurationMs);
    const firstStopped = first.work.find(([, what]) => what === 'stop')![0];
    const secondStarted = second.work.find(([, what]) => what === 'start')![0];
    expect(firstStopped).toBeLessThanOrEqual(secondStarted);
    await second.elector.stop();
  });

  it('a leader cut off from the API server stops its work before another candidate starts', async () => {
    const isolated = candidate('partition', 'isolated', kubeConfigVia(`https://127.0.0.1:${proxy.port}`));
    isolated.elector.start();
    await until('the isolated candidate to lead', () => isolated.elector.isLeader());
    const other = candidate('partition', 'other');
    other.elector.start();
    await new Promise((resolve) => setTimeout(resolve, 600));
    const cutAt = Date.now();
    proxy.cut();
    const otherLeadsAt = await until('the other to take over', () => other.elector.isLeader());
    const end = Date.now();
    const isolatedStopped = isolated.changes.find(([, leading]) => !leading)?.[0];
    console.log(`partition: isolated leader stopped after ${isolatedStopped! - cutAt} ms, successor led after ${otherLeadsAt - cutAt} ms`);
    expect(isolatedStopped).toBeDefined();
    expect(isolatedStopped! - cutAt).toBeLessThanOrEqual(TIMING.renewDeadlineMs + TIMING.retryPeriodMs * 2);
    expect(overlaps(intervals(isolated, end), intervals(other, end))).toBe(false);
    expect(otherLeadsAt - cutAt).toBeLessThan(TIMING.leaseDurationMs * 2);
    // The partition heals: the old leader sees the new holder and stays a follower.
    proxy.restore();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(isolated.elector.isLeader()).toBe(false);
    expect(other.elector.isLeader()).toBe(true);
    expect(await holder('partition')).toBe('other');
    await Promise.all([isolated.elector.stop(), other.elector.stop()]);
  }, 30_000);
});
