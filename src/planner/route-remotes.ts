// The remotes one exported HTTPRoute contributes (discovery.md sections 2 to 6): the
// origins (scheme://host[:port]) of every listener that admits it, then per MCP resource
// behind it the public path to that resource's MCP endpoint. Parents and hosts that do not
// work become warnings when others do, and the skip reason when none does.

import type { ClusterLookups } from '../cluster/lookups.ts';
import type { HTTPRoute, HTTPRouteRule } from '../kubernetes/objects.ts';
import { hostsThroughListener } from './hosts.ts';
import { mcpEndpoint } from './mcp-endpoints.ts';
import { attachedListeners } from './parents.ts';
import { publicPathOfMatch, publicPathToEndpoint } from './paths.ts';
import type { RemoteType } from './server-entry.ts';
import { OriginCache, remoteUrl } from './urls.ts';
import type { RouteBackend } from '../toolhive/backends.ts';

export interface RouteOrigins {
  /** `scheme://host[:port]`, in parentRefs, listener, then spec.hostnames order; no duplicates. */
  origins: string[];
  warnings: string[];
  /** Why no origin was found (empty when there are origins). */
  problems: string[];
}

export function routeOrigins(route: HTTPRoute, routeNamespace: string, lookups: ClusterLookups, originCache: OriginCache = new OriginCache()): RouteOrigins {
  const { attachments, problems } = attachedListeners(route, routeNamespace, lookups);
  const origins: string[] = [];
  const warnings: string[] = [];
  const failures = [...problems];
  for (const { gateway, gatewayLabel, listener, hosts } of attachments) {
    const result = hostsThroughListener(hosts, gateway, gatewayLabel);
    failures.push(...result.problems.map((problem) => `listener ${listener.name ?? '(unnamed)'} of ${gatewayLabel}: ${problem}`));
    for (const { host, warning } of result.hosts) {
      const origin = originCache.of(listener, host);
      if ('problem' in origin) {
        failures.push(`listener ${listener.name ?? '(unnamed)'} of ${gatewayLabel}: ${origin.problem}`);
        continue;
      }
      if (warning) warnings.push(warning);
      if (!origins.includes(origin.origin)) origins.push(origin.origin);
    }
  }
  if (origins.length === 0) return { origins, warnings, problems: failures };
  // Some ways in work: the others are worth a look, not a skip.
  return { origins, warnings: [...warnings, ...failures.map((failure) => `no remote through it: ${failure}`)], problems: [] };
}

export interface RouteRemotes {
  urls: string[];
  type: RemoteType;
  warnings: string[];
}

export type RouteRemotesResult = RouteRemotes | { problem: string; warnings: string[] };

/** Remotes for one MCP resource behind the route, through the rules whose endpoint it is. */
export function remotesToBackend(origins: readonly string[], backend: RouteBackend, routeName: string): RouteRemotesResult {
  const endpoint = mcpEndpoint(backend.kind, backend.resource);
  const label = `${backend.kind} ${backend.namespace}/${backend.name}`;
  if ('problem' in endpoint) return { problem: `${label}: ${endpoint.problem}`, warnings: [] };
  const path = publicPathToEndpoint(backend.rules, endpoint.endpoint, routeName, backend.ruleIndexes);
  if ('problem' in path) return { problem: `${path.problem} of ${label}`, warnings: path.warnings };
  return { urls: origins.map((origin) => remoteUrl(origin, path.path)), type: endpoint.endpoint.transport, warnings: path.warnings };
}

/**
 * Remotes of a route-only export: the match path itself, the type from registry-transport.
 * Only rules that forward offer a match (`ruleForwards`, applied by the paths module so that
 * rule labels keep their position in the route).
 */
export function routeOnlyRemotes(origins: readonly string[], rules: readonly HTTPRouteRule[], type: RemoteType, routeName: string): RouteRemotesResult {
  const path = publicPathOfMatch(rules, routeName);
  if ('problem' in path) return { problem: path.problem, warnings: path.warnings };
  return { urls: origins.map((origin) => remoteUrl(origin, path.path)), type, warnings: path.warnings };
}
