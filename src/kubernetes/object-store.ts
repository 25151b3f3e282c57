// The objects behind ClusterCache, per kind, namespace and name, and the change feed that
// lets callers cache what they derive from them (a generation number plus listeners).
// Only real changes count: an unchanged object seen again by a relist bumps nothing, so
// a periodic relist does not invalidate every derived index.

import type { ClusterLookups } from '../cluster/lookups.ts';
import type { KubeObject } from './objects.ts';

export type CacheChangeType = 'added' | 'updated' | 'deleted';

export interface CacheChange {
  type: CacheChangeType;
  kind: string;
  /** The new object; for `deleted`, the last one stored. */
  object: KubeObject;
  /** The store's generation after this change. */
  generation: number;
}

export type CacheListener = (change: CacheChange) => void;

export interface StoredKind {
  kind: string;
  clusterScoped: boolean;
}

class KindObjects {
  readonly clusterScoped: boolean;
  readonly byNamespace = new Map<string, Map<string, KubeObject>>();
  size = 0;
  /** list(kind) without a namespace, built on demand and dropped on every change. */
  flat: readonly KubeObject[] | undefined;

  constructor(clusterScoped: boolean) {
    this.clusterScoped = clusterScoped;
  }

  namespaceKey(namespace: string | undefined): string {
    return this.clusterScoped ? '' : (namespace ?? '');
  }
}

export class ObjectStore implements ClusterLookups {
  private readonly kinds = new Map<string, KindObjects>();
  private readonly listeners = new Set<CacheListener>();
  private readonly onListenerError: (error: unknown) => void;
  private generationValue = 0;

  constructor(kinds: readonly StoredKind[], onListenerError: (error: unknown) => void = () => {}) {
    for (const { kind, clusterScoped } of kinds) this.kinds.set(kind, new KindObjects(clusterScoped));
    this.onListenerError = onListenerError;
  }

  /** Bumped by every add, update and delete, across all kinds. */
  get generation(): number {
    return this.generationValue;
  }

  get(kind: string, namespace: string, name: string): KubeObject | undefined {
    const objects = this.kinds.get(kind);
    return objects?.byNamespace.get(objects.namespaceKey(namespace))?.get(name);
  }

  list(kind: string, namespace?: string): readonly KubeObject[] {
    const objects = this.kinds.get(kind);
    if (!objects) return [];
    if (namespace === undefined || objects.clusterScoped) {
      objects.flat ??= Object.freeze([...objects.byNamespace.values()].flatMap((named) => [...named.values()]));
      return objects.flat;
    }
    const named = objects.byNamespace.get(namespace);
    return named ? [...named.values()] : [];
  }

  count(kind: string): number {
    return this.kinds.get(kind)?.size ?? 0;
  }

  /** Stores an object seen by a watch or a list; false when it is not new or changed. */
  upsert(kind: string, object: KubeObject): boolean {
    const objects = this.kinds.get(kind);
    const name = object.metadata?.name;
    if (!objects || !name) return false;
    const namespace = objects.namespaceKey(object.metadata?.namespace);
    let named = objects.byNamespace.get(namespace);
    const previous = named?.get(name);
    if (previous && sameVersion(previous, object)) return false;
    if (!named) objects.byNamespace.set(namespace, (named = new Map()));
    named.set(name, object);
    if (!previous) objects.size++;
    this.changed(objects, previous ? 'updated' : 'added', kind, object);
    return true;
  }

  /** Forgets an object; false when it was not stored. */
  remove(kind: string, object: KubeObject): boolean {
    const objects = this.kinds.get(kind);
    const name = object.metadata?.name;
    if (!objects || !name) return false;
    const namespace = objects.namespaceKey(object.metadata?.namespace);
    const named = objects.byNamespace.get(namespace);
    const previous = named?.get(name);
    if (!named || !previous) return false;
    named.delete(name);
    if (named.size === 0) objects.byNamespace.delete(namespace);
    objects.size--;
    this.changed(objects, 'deleted', kind, previous);
    return true;
  }

  /** Makes a full list the truth for a kind; returns how many objects changed. */
  replace(kind: string, listed: readonly KubeObject[]): number {
    const objects = this.kinds.get(kind);
    if (!objects) return 0;
    let changes = 0;
    const present = new Set<string>();
    for (const object of listed) {
      const name = object.metadata?.name;
      if (!name) continue;
      present.add(`${objects.namespaceKey(object.metadata?.namespace)}/${name}`);
      if (this.upsert(kind, object)) changes++;
    }
    for (const [namespace, named] of [...objects.byNamespace]) {
      for (const object of [...named.values()]) {
        if (!present.has(`${namespace}/${object.metadata?.name}`) && this.remove(kind, object)) changes++;
      }
    }
    return changes;
  }

  /** Forgets every object of a kind (its API is no longer served). */
  clear(kind: string): number {
    return this.replace(kind, []);
  }

  /** Calls `listener` after every change; returns the function that unsubscribes it. */
  onChange(listener: CacheListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(objects: KindObjects, type: CacheChangeType, kind: string, object: KubeObject): void {
    objects.flat = undefined;
    this.generationValue++;
    const change: CacheChange = { type, kind, object, generation: this.generationValue };
    for (const listener of [...this.listeners]) {
      try {
        listener(change);
      } catch (error) {
        // A broken listener must not stop the informer that delivered the event.
        this.onListenerError(error);
      }
    }
  }
}

/**
 * Same object version: resourceVersions are opaque strings, compared for equality only,
 * never ordered. The apiVersion counts too: the same resourceVersion is served in every
 * version of a CRD, and a switch of served version must replace the stored shape.
 */
function sameVersion(a: KubeObject, b: KubeObject): boolean {
  const version = a.metadata?.resourceVersion;
  return version !== undefined && version === b.metadata?.resourceVersion && a.apiVersion === b.apiVersion;
}

/** managedFields are large and nothing here reads them; drop them before storing. */
export function stripManagedFields<T extends KubeObject>(object: T): T {
  const metadata = object.metadata as { managedFields?: unknown } | undefined;
  if (metadata && 'managedFields' in metadata) delete metadata.managedFields;
  return object;
}
