// From an HTTPRoute's backendRefs to the ToolHive MCP resources behind them
// (discovery.md section 2), and the check for Services that bypass ToolHive's proxy
// (annotation contract, check 3). Pure: everything comes from ClusterLookups.

import type { ClusterLookups } from '../cluster/lookups.ts';
import { backendRefForwards, ruleForwards } from '../gateway-api/forwarding.ts';
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
  /** The forwarding rules (in route order) with at least one backendRef reaching this resource. */
  rules: HTTPRouteRule[];
}

export interface BackendResolution {
  backends: RouteBackend[];
  /** Set when a backendRef fits more than one existing MCP resource by name. */
  ambiguous?: string;
}

/**
 * The Services one rule forwards to, defaults applied: none when the rule does not forward
 * (`ruleForwards`: a RequestRedirect filter, or no backendRef with a weight other than 0),
 * and backendRefs that do not forward (`weight: 0`) left out.
 */
export function serviceRefsOf(rule: HTTPRouteRule, routeNamespace: string): ServiceRef[] {
  if (!ruleForwards(rule)) return [];
  return (rule.backendRefs ?? []).filter(isServiceRef).map((ref) => ({
    namespace: ref.namespace || routeNamespace,
    name: ref.name ?? '',
  }));
}

function isServiceRef(ref: BackendRef): boolean {
  return (ref.group ?? '') === '' && (ref.kind ?? 'Service') === 'Service' && backendRefForwards(ref) && !!ref.name;
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

export function resolveRouteBackends(route: HTTPRoute, routeNamespace: string, lookups: ClusterLookups): BackendResolution {
  const byKey = new Map<string, RouteBackend>();
  for (const rule of route.spec?.rules ?? []) {
    for (const ref of serviceRefsOf(rule, routeNamespace)) {
      const candidates = mcpResourcesBehindService(ref, lookups);
      if (candidates.length > 1) {
        const names = candidates.map((c) => `${c.kind} ${ref.namespace}/${c.name}`).join(' and ');
        return { backends: [], ambiguous: `Service ${ref.namespace}/${ref.name} could be ${names}` };
      }
      const candidate = candidates[0];
      if (!candidate) continue;
      const key = `${candidate.kind}/${ref.namespace}/${candidate.name}`;
      let backend = byKey.get(key);
      if (!backend) {
        backend = { kind: candidate.kind, namespace: ref.namespace, name: candidate.name, resource: candidate.resource, rules: [] };
        byKey.set(key, backend);
      }
      if (!backend.rules.includes(rule)) backend.rules.push(rule);
    }
  }
  return { backends: [...byKey.values()] };
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
