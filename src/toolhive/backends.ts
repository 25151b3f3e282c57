// From an HTTPRoute's backendRefs to the ToolHive MCP resources behind them
// (discovery.md section 2), and the check for Services that bypass ToolHive's proxy
// (annotation contract, check 3). Pure: everything comes from ClusterLookups.

import type { ClusterLookups } from '../cluster/lookups.ts';
import { backendRefForwards, backendRefRedirects, ruleForwards } from '../gateway-api/forwarding.ts';
import { isMCPKind, type MCPKind } from '../kubernetes/kinds.ts';
import type { BackendRef, HTTPRoute, HTTPRouteRule, KubeObject, MCPResource } from '../kubernetes/objects.ts';

export interface ServiceRef {
  namespace: string;
  name: string;
}

export interface RouteBackend {
  kind: MCPKind;
  namespace: string;
  name: string;
  resource: MCPResource;
  /** The forwarding rules (in route order) whose endpoint this resource is (their first MCP backendRef names it). */
  rules: HTTPRouteRule[];
  /** Each of `rules`' position in `spec.rules` (0-based), for warnings that name a rule. */
  ruleIndexes: number[];
}

/** An MCP resource named by a backendRef, as a split's warning names it. */
export interface MCPResourceRef {
  kind: MCPKind;
  namespace: string;
  name: string;
}

/**
 * A forwarding rule whose backendRefs reach several MCP resources (a traffic split: a
 * canary, a blue-green switch). One rule is one endpoint: it belongs to `winner`, the
 * resource of its first backendRef that names one, whatever the weights; `others` (in
 * backendRef order, each once) get nothing through this rule.
 */
export interface RuleSplit {
  rule: HTTPRouteRule;
  /** The rule's position in `spec.rules` (0-based), for labels such as `rule 2`. */
  ruleIndex: number;
  winner: MCPResourceRef;
  others: MCPResourceRef[];
}

export interface BackendResolution {
  backends: RouteBackend[];
  /** Set when a backendRef fits more than one existing MCP resource by name. */
  ambiguous?: string;
  /** The forwarding rules that split traffic between several MCP resources, in rule order. */
  splits: RuleSplit[];
}

/**
 * The Services one rule forwards to, defaults applied: none when the rule does not forward
 * (`ruleForwards`: a RequestRedirect filter, or no backendRef with a weight other than 0),
 * and backendRefs that do not forward (`weight: 0`) left out. What the Gateway sends traffic
 * to (the contract's proxy-bypass and ReferenceGrant checks); which MCP resource a rule
 * belongs to is `namingServiceRefsOf`'s question.
 */
export function serviceRefsOf(rule: HTTPRouteRule, routeNamespace: string): ServiceRef[] {
  return serviceRefs(rule, routeNamespace, backendRefForwards);
}

/** The named Service backendRefs of a forwarding rule that `keep` accepts, defaults applied. */
function serviceRefs(rule: HTTPRouteRule, routeNamespace: string, keep: (ref: BackendRef) => boolean): ServiceRef[] {
  if (!ruleForwards(rule)) return [];
  return (rule.backendRefs ?? [])
    .filter((ref) => isServiceKind(ref) && !!ref.name && keep(ref))
    .map((ref) => ({ namespace: ref.namespace || routeNamespace, name: ref.name ?? '' }));
}

function isServiceKind(ref: BackendRef): boolean {
  return (ref.group ?? '') === '' && (ref.kind ?? 'Service') === 'Service';
}

/**
 * The Services that may name the MCP resource of one rule (discovery.md section 2, "One
 * rule is one endpoint"), in backendRef order, defaults applied: none when the rule does not
 * forward; otherwise every Service backendRef whatever its weight (weight 0 included: weights
 * move during a rollout, positions do not), except one with a RequestRedirect filter of its
 * own, which never reaches its Service.
 */
export function namingServiceRefsOf(rule: HTTPRouteRule, routeNamespace: string): ServiceRef[] {
  return serviceRefs(rule, routeNamespace, (ref) => !backendRefRedirects(ref));
}

// The Service names ToolHive's operator gives, most specific first (a name such as
// `mcp-x-remote-proxy` also fits `mcp-<n>-proxy` with n = `x-remote`).
const NAME_PATTERNS: { kind: MCPKind; pattern: RegExp }[] = [
  { kind: 'MCPRemoteProxy', pattern: /^mcp-(.+)-remote-proxy$/ },
  { kind: 'MCPServer', pattern: /^mcp-(.+)-proxy$/ },
  { kind: 'VirtualMCPServer', pattern: /^vmcp-(.+)$/ },
];

type Candidate = { kind: MCPKind; name: string; resource: MCPResource };

/** The MCP resources one Service reference can stand for (0, 1, or several = ambiguous). */
export function mcpResourcesBehindService(ref: ServiceRef, lookups: ClusterLookups): Candidate[] {
  const service = lookups.get('Service', ref.namespace, ref.name);
  if (service) {
    const owner = service.metadata?.ownerReferences?.find((o) => o.controller);
    if (!owner || !isMCPKind(owner.kind) || !owner.name) return [];
    const resource = lookups.get(owner.kind, ref.namespace, owner.name);
    return resource ? [{ kind: owner.kind, name: owner.name, resource }] : [];
  }
  const candidates: Candidate[] = [];
  for (const { kind, pattern } of NAME_PATTERNS) {
    const name = pattern.exec(ref.name)?.[1];
    if (!name) continue;
    const resource = lookups.get(kind, ref.namespace, name);
    if (resource) candidates.push({ kind, name, resource });
  }
  return candidates;
}

/**
 * The MCP resources behind a route, each with the forwarding rules whose endpoint it is. One
 * rule is one endpoint: a rule belongs to the MCP resource of its first backendRef that names
 * one, whatever the weights, as long as the rule forwards (`namingServiceRefsOf`); the other
 * MCP resources behind that rule get nothing through it and are reported in `splits`.
 */
export function resolveRouteBackends(route: HTTPRoute, routeNamespace: string, lookups: ClusterLookups): BackendResolution {
  const byKey = new Map<string, RouteBackend>();
  const splits: RuleSplit[] = [];
  for (const [ruleIndex, rule] of (route.spec?.rules ?? []).entries()) {
    const reached: { ref: MCPResourceRef; key: string; resource: MCPResource }[] = [];
    for (const ref of namingServiceRefsOf(rule, routeNamespace)) {
      const candidates = mcpResourcesBehindService(ref, lookups);
      if (candidates.length > 1) {
        const names = candidates.map((c) => `${c.kind} ${ref.namespace}/${c.name}`).join(' and ');
        return { backends: [], ambiguous: `Service ${ref.namespace}/${ref.name} could be ${names}`, splits: [] };
      }
      const candidate = candidates[0];
      if (!candidate) continue;
      const key = `${candidate.kind}/${ref.namespace}/${candidate.name}`;
      if (!reached.some((other) => other.key === key)) reached.push({ ref: { kind: candidate.kind, namespace: ref.namespace, name: candidate.name }, key, resource: candidate.resource });
    }
    const [winner, ...others] = reached;
    if (!winner) continue;
    let backend = byKey.get(winner.key);
    if (!backend) {
      backend = { ...winner.ref, resource: winner.resource, rules: [], ruleIndexes: [] };
      byKey.set(winner.key, backend);
    }
    backend.rules.push(rule);
    backend.ruleIndexes.push(ruleIndex);
    if (others.length > 0) splits.push({ rule, ruleIndex, winner: winner.ref, others: others.map((other) => other.ref) });
  }
  return { backends: [...byKey.values()], splits };
}

/**
 * The MCPServer whose pods a Service reaches directly, skipping ToolHive's proxy (and its
 * authentication), or undefined. Known Service: owned by the MCPServer's StatefulSet.
 * Unknown: named `mcp-<name>` or `mcp-<name>-headless`, unless the name is the proxy's.
 */
export function mcpServerBypassedBy(ref: ServiceRef, lookups: ClusterLookups): KubeObject | undefined {
  const service = lookups.get('Service', ref.namespace, ref.name);
  if (service) {
    for (const owner of service.metadata?.ownerReferences ?? []) {
      if (owner.kind !== 'StatefulSet' || !owner.name) continue;
      const server = lookups.get('MCPServer', ref.namespace, owner.name);
      if (server) return server;
    }
    return undefined;
  }
  const proxyName = /^mcp-(.+)-proxy$/.exec(ref.name)?.[1];
  if (proxyName && lookups.get('MCPServer', ref.namespace, proxyName)) return undefined;
  const direct = /^mcp-(.+?)(?:-headless)?$/.exec(ref.name);
  for (const name of direct ? new Set([direct[1]!, ref.name.slice(4)]) : []) {
    const server = lookups.get('MCPServer', ref.namespace, name);
    if (server) return server;
  }
  return undefined;
}
