// parentRefs with the Gateway API defaults applied, so two references can be compared
// the way the spec means them (group gateway.networking.k8s.io, kind Gateway,
// namespace = the route's).

import { GATEWAY_API_GROUP } from '../kubernetes/kinds.ts';
import type { ParentReference } from '../kubernetes/objects.ts';

export interface ResolvedParentRef {
  group: string;
  kind: string;
  namespace: string;
  name: string;
  sectionName: string | undefined;
  port: number | undefined;
}

export function resolveParentRef(ref: ParentReference, routeNamespace: string): ResolvedParentRef {
  return {
    group: ref.group ?? GATEWAY_API_GROUP,
    kind: ref.kind ?? 'Gateway',
    namespace: ref.namespace || routeNamespace,
    name: ref.name ?? '',
    sectionName: ref.sectionName || undefined,
    port: ref.port ?? undefined,
  };
}

export function isGatewayParent(ref: ResolvedParentRef): boolean {
  return ref.group === GATEWAY_API_GROUP && ref.kind === 'Gateway';
}

export function isListenerSetParent(ref: ResolvedParentRef): boolean {
  return ref.kind === 'ListenerSet' || ref.kind === 'XListenerSet';
}

export function sameParentRef(a: ResolvedParentRef, b: ResolvedParentRef): boolean {
  return (
    a.group === b.group &&
    a.kind === b.kind &&
    a.namespace === b.namespace &&
    a.name === b.name &&
    a.sectionName === b.sectionName &&
    a.port === b.port
  );
}

export function describeParentRef(ref: ResolvedParentRef): string {
  const section = ref.sectionName ? ` section ${ref.sectionName}` : '';
  const port = ref.port !== undefined ? ` port ${ref.port}` : '';
  return `${ref.kind} ${ref.namespace}/${ref.name}${section}${port}`;
}
