// What the object walk hands to entry building: per exported object (and per MCP resource
// behind a route) the final registry name it feeds and the remotes it brings. Entries are
// then one per final name (entries.ts).

import type { RegistryAnnotations } from '../contract/registry-annotations.ts';
import type { KubeObject } from '../kubernetes/objects.ts';
import type { ObjectRef } from './result.ts';
import type { RemoteType } from './server-entry.ts';

/** An object whose annotations feed an entry. */
export interface Contributor {
  object: KubeObject;
  ref: ObjectRef;
  /** Its registry annotations, normalized by the contract. */
  values: RegistryAnnotations;
  /** Exported objects appear in `skipped` when an entry they feed is skipped. */
  exported: boolean;
}

export type ContributionKind = 'direct' | 'route' | 'route-only';

export interface Contribution {
  kind: ContributionKind;
  registryName: string;
  /** The namespace that owns the name: the MCP resource's, or the route's when route-only. */
  owningNamespace: string;
  /** The exporting route (route and route-only contributions). */
  route?: Contributor;
  /** The MCP resource (direct and route contributions). */
  resource?: Contributor;
  /** Remote URLs, all of one type. Kept lean: thousands of these live through a plan. */
  type: RemoteType;
  urls: string[];
}

/** The object the remotes come from: the route, or the MCP resource of a direct remote. */
export function producerOf(contribution: Contribution): Contributor {
  return contribution.route ?? contribution.resource!;
}

/** Code-point order, so the order of names does not depend on a locale. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** namespace/name order (then kind), by code points so the order does not depend on a locale. */
export function compareRefs(a: ObjectRef, b: ObjectRef): number {
  return compareText(a.namespace, b.namespace) || compareText(a.name, b.name) || compareText(a.kind, b.kind);
}

export function refKey(ref: ObjectRef): string {
  return `${ref.kind}/${ref.namespace}/${ref.name}`;
}
