// An in-memory ClusterLookups over a list of objects (manifests, or a snapshot of caches).
// Later objects with the same kind/namespace/name replace earlier ones, as `kubectl apply`
// of the same input would.

import type { KubeObject } from '../kubernetes/objects.ts';
import { CLUSTER_SCOPED_KINDS, type ClusterLookups } from './lookups.ts';

export class ObjectIndex implements ClusterLookups {
  // kind -> namespace -> name -> object ("" namespace for cluster-scoped kinds). Nested maps,
  // not one map of "kind/namespace/name" keys: the planner calls get() tens of thousands of
  // times per plan, and building and hashing a key string each time was its dearest step.
  private readonly byKind = new Map<string, Map<string, Map<string, KubeObject>>>();
  private readonly defaultNamespace: string;

  constructor(objects: Iterable<KubeObject> = [], defaultNamespace = 'default') {
    this.defaultNamespace = defaultNamespace;
    for (const object of objects) this.add(object);
  }

  add(object: KubeObject): void {
    const kind = object.kind;
    const name = object.metadata?.name;
    if (!kind || !name) return;
    const namespace = CLUSTER_SCOPED_KINDS.has(kind) ? '' : object.metadata?.namespace || this.defaultNamespace;
    let ofKind = this.byKind.get(kind);
    if (!ofKind) this.byKind.set(kind, (ofKind = new Map()));
    let ofNamespace = ofKind.get(namespace);
    if (!ofNamespace) ofKind.set(namespace, (ofNamespace = new Map()));
    ofNamespace.set(name, object);
  }

  get(kind: string, namespace: string, name: string): KubeObject | undefined {
    const ofKind = this.byKind.get(kind);
    if (!ofKind) return undefined;
    return ofKind.get(CLUSTER_SCOPED_KINDS.has(kind) ? '' : namespace)?.get(name);
  }

  list(kind: string, namespace?: string): readonly KubeObject[] {
    const ofKind = this.byKind.get(kind);
    if (!ofKind) return [];
    if (namespace === undefined || CLUSTER_SCOPED_KINDS.has(kind)) {
      return [...ofKind.values()].flatMap((ofNamespace) => [...ofNamespace.values()]);
    }
    return [...(ofKind.get(namespace)?.values() ?? [])];
  }
}
