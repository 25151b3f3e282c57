// Does a listener of a Gateway admit an HTTPRoute through a given parentRef?
// One implementation for the webhook's attachment check (annotation contract, check 1)
// and the planner's "which parents count" (discovery, section 3.4). Every "no" carries the
// sentence an operator needs.

import { GATEWAY_API_GROUP } from '../kubernetes/kinds.ts';
import type { Gateway, HTTPRoute, Listener, Namespace } from '../kubernetes/objects.ts';
import { intersectHostnames, type HostIntersection } from './hostnames.ts';
import { selectorMatches } from './label-selector.ts';
import type { ResolvedParentRef } from './parent-refs.ts';

export type ListenerVerdict =
  | { listener: Listener; admits: true; hosts: HostIntersection }
  | { listener: Listener; admits: false; reason: string; namespaceUnknown?: boolean };

const ROUTE_PROTOCOLS = new Set(['HTTP', 'HTTPS']);

export function listenerName(listener: Listener): string {
  return listener.name ?? '(unnamed)';
}

/**
 * Judge one listener. `routeNamespace` is the route's namespace; `namespace` its
 * Namespace object when known (needed only for `from: Selector`); `gatewayNamespace` where
 * the Gateway was found (a manifest without metadata.namespace is in the default namespace
 * of its input, which need not be `default`).
 */
export function judgeListener(
  gateway: Gateway,
  listener: Listener,
  route: HTTPRoute,
  routeNamespace: string,
  namespace: Namespace | undefined,
  gatewayNamespace: string = gateway.metadata?.namespace || 'default',
): ListenerVerdict {
  const name = listenerName(listener);
  const protocol = listener.protocol ?? '';
  if (!ROUTE_PROTOCOLS.has(protocol)) {
    return { listener, admits: false, reason: `listener ${name} has protocol ${protocol || '(none)'}, not HTTP or HTTPS` };
  }
  const from = listener.allowedRoutes?.namespaces?.from ?? 'Same';
  if (from === 'Same' && routeNamespace !== gatewayNamespace) {
    return { listener, admits: false, reason: `listener ${name} only admits routes from namespace ${gatewayNamespace}` };
  }
  if (from === 'Selector') {
    if (!namespace) {
      return {
        listener,
        admits: false,
        namespaceUnknown: true,
        reason: `listener ${name} selects namespaces by label and Namespace ${routeNamespace} is not known`,
      };
    }
    if (!selectorMatches(listener.allowedRoutes?.namespaces?.selector, namespace.metadata?.labels ?? {})) {
      return { listener, admits: false, reason: `listener ${name} does not admit namespace ${routeNamespace} (label selector)` };
    }
  } else if (from !== 'Same' && from !== 'All') {
    return { listener, admits: false, reason: `listener ${name} admits routes from ${from} namespaces` };
  }
  const kinds = listener.allowedRoutes?.kinds;
  if (kinds && kinds.length > 0) {
    const allowsHTTPRoute = kinds.some((k) => (k.group ?? GATEWAY_API_GROUP) === GATEWAY_API_GROUP && k.kind === 'HTTPRoute');
    if (!allowsHTTPRoute) {
      return { listener, admits: false, reason: `listener ${name} does not admit HTTPRoute (allowedRoutes.kinds)` };
    }
  }
  const hosts = intersectHostnames(route.spec?.hostnames, listener.hostname);
  if (hosts !== null && hosts.length === 0) {
    return {
      listener,
      admits: false,
      reason: `listener ${name} hostname ${listener.hostname} matches none of the route's hostnames`,
    };
  }
  return { listener, admits: true, hosts };
}

/** The listeners a parentRef selects by sectionName and port, in Gateway order. */
export function listenersSelectedBy(gateway: Gateway, parentRef: ResolvedParentRef): Listener[] {
  return (gateway.spec?.listeners ?? []).filter(
    (listener) =>
      (parentRef.sectionName === undefined || listener.name === parentRef.sectionName) &&
      (parentRef.port === undefined || listener.port === parentRef.port),
  );
}

/** Judge every listener the parentRef selects. An empty array: no listener was selected. */
export function judgeParentListeners(
  gateway: Gateway,
  parentRef: ResolvedParentRef,
  route: HTTPRoute,
  routeNamespace: string,
  namespace: Namespace | undefined,
): ListenerVerdict[] {
  return listenersSelectedBy(gateway, parentRef).map((listener) =>
    judgeListener(gateway, listener, route, routeNamespace, namespace, parentRef.namespace),
  );
}
