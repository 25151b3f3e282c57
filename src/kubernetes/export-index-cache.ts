// The contract's export index (registry-name claims, routes that describe MCP resources)
// over a changing cluster cache: rebuilt on the first look-up after the cache's generation
// moved, so the webhook pays for one walk per change, not one per AdmissionReview.

import type { ClusterLookups } from '../cluster/lookups.ts';
import { buildExportIndex } from '../contract/name-claims.ts';
import type { ContractOptions, ExportIndex } from '../contract/types.ts';

/** Look-ups that say when they changed, e.g. ClusterCache. */
export interface VersionedLookups extends ClusterLookups {
  /** Changes whenever any answer of get/list may have changed. */
  readonly generation: number;
}

/** An ExportIndex that rebuilds itself lazily whenever `lookups.generation` changed. */
export function exportIndexProvider(lookups: VersionedLookups, options: ContractOptions): ExportIndex {
  let builtFor: number | undefined;
  let index: ExportIndex | undefined;
  const current = (): ExportIndex => {
    const generation = lookups.generation;
    if (index === undefined || generation !== builtFor) {
      index = buildExportIndex(lookups, options);
      builtFor = generation;
    }
    return index;
  };
  return {
    claimsOf: (registryName) => current().claimsOf(registryName),
    describedByRoute: (kind, namespace, name) => current().describedByRoute(kind, namespace, name),
  };
}
