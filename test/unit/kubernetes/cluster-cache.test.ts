// ClusterCache without an API server: option checks that fail at construction with the
// option's name, and the state before start(). The behaviour against a real API server is
// in test/e2e/cluster-cache.test.ts.

import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { CLUSTER_CACHE_DEFAULTS, ClusterCache, DEFAULT_WATCHED_KINDS } from '../../../src/kubernetes/cluster-cache.ts';

function kubeConfig(): KubeConfig {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return config;
}

describe('ClusterCache construction', () => {
  it.each([
    [{ discoveryIntervalMs: 0 }, /discoveryIntervalMs must be a positive number, got 0/],
    [{ requestTimeoutMs: -1 }, /requestTimeoutMs must be a positive number/],
    [{ pageSize: 10.5 }, /pageSize must be an integer/],
    [{ relistIntervalMs: Number.NaN }, /relistIntervalMs must be 0 \(never\) or a positive number/],
    [{ absentGraceMs: -1 }, /absentGraceMs must be 0 \(no grace\) or a positive number, got -1/],
    [{ absentGraceMs: Number.NaN }, /absentGraceMs must be 0 \(no grace\) or a positive number, got NaN/],
    [{ kinds: [...DEFAULT_WATCHED_KINDS, DEFAULT_WATCHED_KINDS[0]!] }, /lists GatewayClass twice/],
    [{ kinds: [{ kind: 'Thing', group: 'example.com', versions: [], plural: 'things' }] }, /Thing has no versions/],
  ])('rejects %o', (options, message) => {
    expect(() => new ClusterCache({ kubeConfig: kubeConfig(), ...options })).toThrow(message);
  });

  it('accepts absentGraceMs 0 (no grace) and defaults it to 10 minutes', () => {
    expect(() => new ClusterCache({ kubeConfig: kubeConfig(), absentGraceMs: 0 })).not.toThrow();
    expect(CLUSTER_CACHE_DEFAULTS.absentGraceMs).toBe(10 * 60_000);
  });

  it('rejects a kubeconfig without a current cluster', () => {
    const empty = new KubeConfig();
    empty.loadFromOptions({ clusters: [], users: [], contexts: [], currentContext: 'missing' });
    expect(() => new ClusterCache({ kubeConfig: empty })).toThrow(/no cluster for its current context 'missing'/);
  });

  it('is empty and not synced before start(); waitForSync says why', async () => {
    const cache = new ClusterCache({ kubeConfig: kubeConfig() });
    expect(cache.isSynced()).toBe(false);
    expect(cache.list('Gateway')).toEqual([]);
    expect(cache.get('Namespace', '', 'default')).toBeUndefined();
    expect(cache.generation).toBe(0);
    expect(cache.status().map((status) => status.kind)).toEqual(DEFAULT_WATCHED_KINDS.map((kind) => kind.kind));
    await expect(cache.waitForSync(1_000)).rejects.toThrow(/not started; not synced: GatewayClass \(API discovery pending\)/);
    await cache.stop();
  });
});
