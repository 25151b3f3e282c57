// Shapes shared by the annotation contract's users: the webhook, `validate`, the planner
// and the publisher.

import type { ClusterLookups } from '../cluster/lookups.ts';

/** One problem or remark. `annotation` is the full key, or null for a whole-object finding. */
export interface Finding {
  annotation: string | null;
  message: string;
}

export interface ContractOptions {
  /** Name prefix template for bare registry names; `{namespace}` is the owning namespace. */
  namePrefix: string;
  /** `warn` turns the denials of referential checks 1, 2 and 4 into warnings. */
  referentialChecks: 'deny' | 'warn';
  /** Namespace of objects that carry none (manifests). */
  defaultNamespace: string;
}

export const DEFAULT_NAME_PREFIX = 'com.toolhive.k8s.{namespace}';

export const DEFAULT_CONTRACT_OPTIONS: ContractOptions = {
  namePrefix: DEFAULT_NAME_PREFIX,
  referentialChecks: 'deny',
  defaultNamespace: 'default',
};

export interface Judgement {
  /** False when the object is out of scope or not registry-annotated: always allowed, untouched. */
  applies: boolean;
  errors: Finding[];
  warnings: Finding[];
  /** Only the annotations whose value normalization changed, with their new values. */
  normalized: Record<string, string>;
  /** Every annotation of the object, registry values normalized. */
  annotations: Record<string, string>;
}

/** Who else claims a final registry name (annotation contract, check 4). */
export interface NameClaim {
  kind: string;
  namespace: string;
  name: string;
  /** The namespace that owns the name: the MCP resource's, or the route's for a route-only export. */
  owningNamespace: string;
}

/** What every exported object contributes, indexed once per cluster snapshot (name-claims.ts). */
export interface ExportIndex {
  /** Exported objects claiming a final registry name (check 4). */
  claimsOf(registryName: string): readonly NameClaim[];
  /** Does an exported route with a registry-description reach this MCP resource (check 5)? */
  describedByRoute(kind: string, namespace: string, name: string): boolean;
}

export interface ContractContext {
  lookups: ClusterLookups;
  /** Built from `lookups` on demand when absent; the webhook keeps one per cache generation. */
  exports?: ExportIndex;
  options: ContractOptions;
  /**
   * With `referentialChecks: 'deny'`: whether this object's denials from the checks against
   * other objects become warnings anyway (an UPDATE that changed nothing they read). Asked
   * at the first such denial only, so the comparison costs nothing on the usual path.
   */
  demoteReferentialDenials?: () => boolean;
}
