// Which parents of an HTTPRoute count (discovery.md section 3): a Gateway whose class's
// controller has accepted the current generation of the route, and the listeners of it
// that admit the route. status.parents is trusted only with the controllerName of the
// Gateway's class and the route's generation (external-dns #3555 and #5349 show why).

import type { ClusterLookups } from '../cluster/lookups.ts';
import type { HostIntersection } from '../gateway-api/hostnames.ts';
import { judgeParentListeners } from '../gateway-api/listeners.ts';
import {
  describeParentRef,
  isGatewayParent,
  isListenerSetParent,
  resolveParentRef,
  sameParentRef,
  type ResolvedParentRef,
} from '../gateway-api/parent-refs.ts';
import type { Condition, Gateway, GatewayClass, HTTPRoute, Listener, RouteParentStatus } from '../kubernetes/objects.ts';

export interface ListenerAttachment {
  gateway: Gateway;
  /** `Gateway ns/name`, for messages. */
  gatewayLabel: string;
  listener: Listener;
  hosts: HostIntersection;
}

export interface ParentsResult {
  /** In parentRefs order, then listener order in the Gateway. */
  attachments: ListenerAttachment[];
  /** One sentence per parentRef that does not count. */
  problems: string[];
}

/** A condition message on one line, short enough to sit inside a skip reason. */
function conditionDetail(condition: Condition): string {
  const message = (condition.message ?? '').replace(/\s+/g, ' ').trim();
  const text = [condition.reason, message.length > 120 ? `${message.slice(0, 120)}…` : message].filter(Boolean).join(': ');
  return text ? ` (${condition.type}=${condition.status ?? 'Unknown'}: ${text})` : ` (${condition.type}=${condition.status ?? 'Unknown'})`;
}

function findStatus(route: HTTPRoute, parent: ResolvedParentRef, routeNamespace: string): RouteParentStatus[] {
  return (route.status?.parents ?? []).filter(
    // The name check first: resolving every status entry for every parentRef adds up.
    (status) => status.parentRef?.name === parent.name && sameParentRef(resolveParentRef(status.parentRef, routeNamespace), parent),
  );
}

/** Why the route's status for this parent does not count, or undefined when it does. */
export function statusProblem(route: HTTPRoute, parent: ResolvedParentRef, routeNamespace: string, controllerName: string): string | undefined {
  const statuses = findStatus(route, parent, routeNamespace);
  const status = statuses.find((s) => s.controllerName === controllerName);
  const label = describeParentRef(parent);
  if (!status) {
    const other = statuses.find((s) => s.controllerName !== undefined)?.controllerName;
    return other
      ? `the status of ${label} comes from controller ${other}, not from ${controllerName} (the controller of its GatewayClass)`
      : `${label} has not reported on the route (no status.parents entry from ${controllerName})`;
  }
  const conditions = status.conditions ?? [];
  const accepted = conditions.find((c) => c.type === 'Accepted');
  if (!accepted || accepted.status !== 'True') {
    return `${label} has not accepted the route${accepted ? conditionDetail(accepted) : ' (no Accepted condition)'}`;
  }
  const resolvedRefs = conditions.find((c) => c.type === 'ResolvedRefs');
  if (resolvedRefs?.status === 'False') return `${label} could not resolve the route's references${conditionDetail(resolvedRefs)}`;
  const generation = route.metadata?.generation;
  if (accepted.observedGeneration !== undefined && generation !== undefined && accepted.observedGeneration !== generation) {
    return `${label} accepted generation ${accepted.observedGeneration} of the route, not the current generation ${generation} (status is stale)`;
  }
  return undefined;
}

export function attachedListeners(route: HTTPRoute, routeNamespace: string, lookups: ClusterLookups): ParentsResult {
  const result: ParentsResult = { attachments: [], problems: [] };
  const parentRefs = route.spec?.parentRefs ?? [];
  if (parentRefs.length === 0) {
    result.problems.push('the route has no parentRefs');
    return result;
  }
  let gatewayParents = 0;
  for (const ref of parentRefs) {
    const parent = resolveParentRef(ref, routeNamespace);
    const label = describeParentRef(parent);
    if (isListenerSetParent(parent)) {
      result.problems.push(`${label}: ListenerSet parents are not supported in v1`);
      continue;
    }
    if (!isGatewayParent(parent)) continue; // e.g. a Service, for mesh routing: not a way in from outside
    gatewayParents++;
    const gateway = lookups.get('Gateway', parent.namespace, parent.name) as Gateway | undefined;
    if (!gateway) {
      result.problems.push(`${label} is not known`);
      continue;
    }
    if (gateway.metadata?.deletionTimestamp) {
      result.problems.push(`${label} is being deleted`);
      continue;
    }
    const className = gateway.spec?.gatewayClassName ?? '';
    const gatewayClass = lookups.get('GatewayClass', '', className) as GatewayClass | undefined;
    const controllerName = gatewayClass?.spec?.controllerName;
    if (!controllerName) {
      result.problems.push(gatewayClass
        ? `GatewayClass ${className} of ${label} has no spec.controllerName`
        : `GatewayClass ${className || '(none)'} of ${label} is not known`);
      continue;
    }
    const problem = statusProblem(route, parent, routeNamespace, controllerName);
    if (problem) {
      result.problems.push(problem);
      continue;
    }
    const namespace = lookups.get('Namespace', '', routeNamespace);
    const verdicts = judgeParentListeners(gateway, parent, route, routeNamespace, namespace);
    if (verdicts.length === 0) {
      result.problems.push(`${label} has no listener${parent.sectionName ? ` named ${parent.sectionName}` : ''}${parent.port !== undefined ? ` on port ${parent.port}` : ''}`);
      continue;
    }
    const gatewayLabel = `Gateway ${parent.namespace}/${parent.name}`;
    const before = result.attachments.length;
    for (const verdict of verdicts) {
      if (verdict.admits) result.attachments.push({ gateway, gatewayLabel, listener: verdict.listener, hosts: verdict.hosts });
    }
    if (result.attachments.length === before) {
      const reasons = verdicts.map((verdict) => (verdict.admits ? '' : verdict.reason)).join('; ');
      result.problems.push(`no listener of ${label} admits the route: ${reasons}`);
    }
  }
  if (gatewayParents === 0 && result.problems.length === 0) result.problems.push('no parentRef names a Gateway');
  return result;
}
