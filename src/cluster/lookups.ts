// The small read-only view of the cluster that the contract's referential checks and the
// planner need. The webhook and the publisher answer it from informer caches, `validate`
// and `plan` from their input manifests (see object-index.ts). Kinds are matched by name
// only; the caller decides which API groups it feeds in.

import type { KubeObject } from '../kubernetes/objects.ts';

export interface ClusterLookups {
  /** One object; `namespace` is ignored for cluster-scoped kinds (Namespace, GatewayClass). */
  get(kind: string, namespace: string, name: string): KubeObject | undefined;
  /** All objects of a kind, optionally only those of one namespace. */
  list(kind: string, namespace?: string): readonly KubeObject[];
}

export const CLUSTER_SCOPED_KINDS: ReadonlySet<string> = new Set(['Namespace', 'GatewayClass']);

/** The lookups of an empty cluster: every referential check then sees nothing. */
export const EMPTY_CLUSTER: ClusterLookups = {
  get: () => undefined,
  list: () => [],
};

/** A ClusterLookups, as opposed to a plain list of objects (both are accepted by plan and diff). */
export function isClusterLookups(input: ClusterLookups | Iterable<unknown>): input is ClusterLookups {
  const candidate = input as Partial<ClusterLookups>;
  return typeof candidate.get === 'function' && typeof candidate.list === 'function';
}
