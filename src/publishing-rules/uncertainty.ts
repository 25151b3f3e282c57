// Which source objects the cluster cannot answer for right now (publishing.md §1): an
// HTTPRoute whose Gateway controller has not caught up with a spec edit (stale status), or
// a kind whose cache is not to be trusted (not synced, watch failing, not listed by
// discovery within the grace). Pure: the cache's verdict on kinds comes in as a map.

import type { ClusterLookups } from '../cluster/lookups.ts';
import type { HTTPRoute } from '../kubernetes/objects.ts';
import { MCP_KINDS } from '../kubernetes/kinds.ts';
import type { OwnedSource } from '../planner/ownership.ts';
import { TOOL_CONFIG_KIND, toolConfigName } from '../planner/tool-config.ts';

export type HoldCategory = 'stale status' | 'unknown kind' | 'not ready';

export interface Uncertainty {
  category: Exclude<HoldCategory, 'not ready'>;
  reason: string;
}

/**
 * The kinds a source's part of the plan is read from: a route's entry needs its Gateways,
 * their classes, its Services and the MCP resources behind it; an MCP resource only itself,
 * and the MCPToolConfigs when it names one (namesToolConfig).
 */
const READS: Record<string, readonly string[]> = {
  HTTPRoute: ['HTTPRoute', 'Gateway', 'GatewayClass', 'Service', ...MCP_KINDS],
};

/** Why an HTTPRoute's status does not describe its current spec, if it does not. */
export function staleStatus(route: HTTPRoute): string | undefined {
  const generation = route.metadata?.generation;
  if (generation === undefined) return undefined;
  const parentNames = new Set((route.spec?.parentRefs ?? []).map((ref) => ref.name));
  for (const parent of route.status?.parents ?? []) {
    if (!parentNames.has(parent.parentRef?.name ?? '')) continue; // a parent no longer referenced
    const accepted = parent.conditions?.find((condition) => condition.type === 'Accepted');
    const observed = accepted?.observedGeneration;
    if (observed !== undefined && observed < generation) {
      return `the Gateway controller has not accepted generation ${generation} of the route yet (status is for generation ${observed})`;
    }
  }
  return undefined;
}

/** An MCPServer or MCPRemoteProxy that names an MCPToolConfig is read from that kind too (discovery.md section 9). */
function namesToolConfig(source: OwnedSource, lookups: ClusterLookups): boolean {
  const object = lookups.get(source.kind, source.namespace, source.name);
  try {
    return object !== undefined && toolConfigName(object) !== undefined;
  } catch {
    return false; // a malformed toolConfigRef: the entry is skipped, nothing to hold
  }
}

/**
 * The first reason the cluster cannot answer for `source` now, or undefined. `unserved`:
 * kinds not listed since the process started (within the grace), which hold only the
 * sources of that kind themselves.
 */
export function sourceUncertainty(
  source: OwnedSource,
  lookups: ClusterLookups,
  uncertainKinds: ReadonlyMap<string, string>,
  unserved: ReadonlyMap<string, string> = new Map(),
): Uncertainty | undefined {
  const missing = unserved.get(source.kind);
  if (missing !== undefined) return { category: 'unknown kind', reason: `${source.kind} objects are not known for certain: ${missing}` };
  const reads = READS[source.kind] ?? [source.kind];
  for (const kind of namesToolConfig(source, lookups) ? [...reads, TOOL_CONFIG_KIND] : reads) {
    const why = uncertainKinds.get(kind);
    if (why !== undefined) return { category: 'unknown kind', reason: `${kind} objects are not known for certain: ${why}` };
  }
  if (source.kind === 'HTTPRoute') {
    const route = lookups.get('HTTPRoute', source.namespace, source.name) as HTTPRoute | undefined;
    const stale = route ? staleStatus(route) : undefined;
    if (stale) return { category: 'stale status', reason: `HTTPRoute ${source.namespace}/${source.name}: ${stale}` };
  }
  return undefined;
}
