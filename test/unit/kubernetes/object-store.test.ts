// The store behind ClusterCache: look-up semantics, change detection by resourceVersion
// equality (never ordering), full-list replacement, and the name-claims index per generation.

import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_CONTRACT_OPTIONS } from '../../../src/contract/types.ts';
import { exportIndexProvider } from '../../../src/kubernetes/export-index-cache.ts';
import { ObjectStore, stripManagedFields, type CacheChange } from '../../../src/kubernetes/object-store.ts';
import type { KubeObject } from '../../../src/kubernetes/objects.ts';

function object(kind: string, namespace: string | undefined, name: string, resourceVersion: string, extra: Partial<KubeObject> = {}): KubeObject {
  return { apiVersion: 'v1', kind, metadata: { name, ...(namespace ? { namespace } : {}), resourceVersion }, ...extra };
}

function store(): ObjectStore {
  return new ObjectStore([
    { kind: 'Namespace', clusterScoped: true },
    { kind: 'Service', clusterScoped: false },
    { kind: 'MCPServer', clusterScoped: false },
  ]);
}

describe('ObjectStore', () => {
  it('answers get and list by kind, namespace and name; cluster-scoped kinds ignore the namespace', () => {
    const s = store();
    s.upsert('Service', object('Service', 'a', 'web', '1'));
    s.upsert('Service', object('Service', 'b', 'web', '2'));
    s.upsert('Namespace', object('Namespace', undefined, 'a', '3'));
    expect(s.get('Service', 'a', 'web')?.metadata?.resourceVersion).toBe('1');
    expect(s.get('Service', 'c', 'web')).toBeUndefined();
    expect(s.get('Namespace', 'whatever', 'a')?.metadata?.name).toBe('a');
    expect(s.list('Service').map((o) => o.metadata?.namespace).sort()).toEqual(['a', 'b']);
    expect(s.list('Service', 'b')).toHaveLength(1);
    expect(s.list('Namespace', 'b')).toHaveLength(1);
    expect(s.list('Gateway')).toEqual([]);
    expect(s.get('Gateway', 'a', 'x')).toBeUndefined();
    expect(s.upsert('Gateway', object('Gateway', 'a', 'x', '1'))).toBe(false);
  });

  it('bumps the generation only for real changes and tells listeners', () => {
    const s = store();
    const changes: CacheChange[] = [];
    const unsubscribe = s.onChange((change) => changes.push(change));
    expect(s.upsert('Service', object('Service', 'a', 'web', '10'))).toBe(true);
    expect(s.upsert('Service', object('Service', 'a', 'web', '10'))).toBe(false);
    // "9" < "10" as strings and as numbers mean nothing: any other version is a change.
    expect(s.upsert('Service', object('Service', 'a', 'web', '9'))).toBe(true);
    // The same version in another API version is a different shape.
    expect(s.upsert('Service', object('Service', 'a', 'web', '9', { apiVersion: 'v2' }))).toBe(true);
    expect(s.remove('Service', object('Service', 'a', 'web', '11'))).toBe(true);
    expect(s.remove('Service', object('Service', 'a', 'web', '11'))).toBe(false);
    expect(changes.map((c) => `${c.type}:${c.generation}`)).toEqual(['added:1', 'updated:2', 'updated:3', 'deleted:4']);
    expect(s.generation).toBe(4);
    unsubscribe();
    s.upsert('Service', object('Service', 'a', 'web', '12'));
    expect(changes).toHaveLength(4);
  });

  it('replace makes a full list the truth and reports only differences', () => {
    const s = store();
    s.upsert('Service', object('Service', 'a', 'keep', '1'));
    s.upsert('Service', object('Service', 'a', 'change', '2'));
    s.upsert('Service', object('Service', 'b', 'gone', '3'));
    const generation = s.generation;
    const changes = s.replace('Service', [
      object('Service', 'a', 'keep', '1'),
      object('Service', 'a', 'change', '4'),
      object('Service', 'c', 'new', '5'),
    ]);
    expect(changes).toBe(3);
    expect(s.generation).toBe(generation + 3);
    expect(s.list('Service').map((o) => o.metadata?.name).sort()).toEqual(['change', 'keep', 'new']);
    expect(s.list('Service', 'b')).toEqual([]);
    expect(s.replace('Service', s.list('Service'))).toBe(0);
    expect(s.clear('Service')).toBe(3);
    expect(s.count('Service')).toBe(0);
  });

  it('keeps list(kind) consistent across changes (its flat list is cached)', () => {
    const s = store();
    s.upsert('Service', object('Service', 'a', 'x', '1'));
    const first = s.list('Service');
    expect(s.list('Service')).toBe(first);
    s.upsert('Service', object('Service', 'a', 'y', '2'));
    expect(s.list('Service')).toHaveLength(2);
    expect(first).toHaveLength(1);
  });

  it('survives a throwing listener and reports it', () => {
    const errors: unknown[] = [];
    const s = new ObjectStore([{ kind: 'Service', clusterScoped: false }], (error) => errors.push(error));
    s.onChange(() => {
      throw new Error('listener bug');
    });
    expect(s.upsert('Service', object('Service', 'a', 'x', '1'))).toBe(true);
    expect(errors).toHaveLength(1);
    expect(s.count('Service')).toBe(1);
  });

  it('stripManagedFields drops metadata.managedFields only', () => {
    const o = { metadata: { name: 'x', managedFields: [{ manager: 'kubectl' }], labels: { a: 'b' } } } as KubeObject;
    expect(stripManagedFields(o)).toEqual({ metadata: { name: 'x', labels: { a: 'b' } } });
  });
});

describe('exportIndexProvider', () => {
  const P = 'toolhive.stacklok.dev/';
  function mcpServer(name: string, namespace: string, resourceVersion: string, registryName?: string): KubeObject {
    return {
      apiVersion: 'toolhive.stacklok.dev/v1beta1',
      kind: 'MCPServer',
      metadata: {
        name,
        namespace,
        resourceVersion,
        annotations: { [`${P}registry-export`]: 'true', ...(registryName ? { [`${P}registry-name`]: registryName } : {}) },
      },
    };
  }

  it('rebuilds the index only after the generation moved', () => {
    const s = store();
    s.upsert('MCPServer', mcpServer('github', 'team-a', '1', 'io.github/github'));
    const listSpy = vi.spyOn(s, 'list');
    const { claimsOf: claims } = exportIndexProvider(s, DEFAULT_CONTRACT_OPTIONS);

    expect(claims('io.github/github')).toEqual([{ kind: 'MCPServer', namespace: 'team-a', name: 'github', owningNamespace: 'team-a' }]);
    const walks = listSpy.mock.calls.length;
    expect(walks).toBeGreaterThan(0);
    claims('io.github/github');
    claims('something/else');
    expect(listSpy.mock.calls.length).toBe(walks);

    s.upsert('MCPServer', mcpServer('github', 'team-b', '2', 'io.github/github'));
    expect(claims('io.github/github').map((claim) => claim.owningNamespace).sort()).toEqual(['team-a', 'team-b']);
    expect(listSpy.mock.calls.length).toBeGreaterThan(walks);
  });
});
