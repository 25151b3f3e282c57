// The registry-name claims index (annotation contract, check 4) over a changing cluster
// cache: rebuilt on the first look-up after the cache's generation moved, so the webhook
// pays for one full walk per change, not one per AdmissionReview.

import type { ClusterLookups } from '../cluster/lookups.ts';
import { buildNameClaimIndex } from '../contract/name-claims.ts';
import type { ContractOptions, NameClaim } from '../contract/types.ts';

/** Look-ups that say when they changed, e.g. ClusterCache. */
export interface VersionedLookups extends ClusterLookups {
  /** Changes whenever any answer of get/list may have changed. */
  readonly generation: number;
}

/** `(registryName) => claims`, recomputed only when `lookups.generation` changed since the last call. */
export function nameClaimsProvider(
  lookups: VersionedLookups,
  options: ContractOptions,
): (registryName: string) => readonly NameClaim[] {
  let builtFor: number | undefined;
  let index: (registryName: string) => readonly NameClaim[] = () => [];
  return (registryName) => {
    const generation = lookups.generation;
    if (generation !== builtFor) {
      index = buildNameClaimIndex(lookups, options);
      builtFor = generation;
    }
    return index(registryName);
  };
}
