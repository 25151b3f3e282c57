// The planner's options (discovery.md): the name prefix template, the registry flavor whose
// rules the entries must satisfy, and the owner ID written into every entry's ownership
// record. One typed place with the defaults, shared by `plan` and the publisher.

import { DEFAULT_NAME_PREFIX } from '../contract/types.ts';

export const REGISTRY_FLAVORS = ['toolhive', 'upstream'] as const;
export type RegistryFlavor = (typeof REGISTRY_FLAVORS)[number];

export interface PlanOptions {
  /** Name prefix template for default and bare registry names; `{namespace}` = owning namespace. */
  namePrefix: string;
  /** `toolhive` (default) or `upstream`: the upstream registry also rejects http and loopback remotes. */
  flavor: RegistryFlavor;
  /** Owner ID of this publisher (cf. external-dns' --txt-owner-id); written into each entry. */
  owner: string;
  /** Installation ID of this publisher (publishing.md §3), written into each entry when set. */
  installation?: string;
  /** Namespace of objects that carry none (manifests). */
  defaultNamespace: string;
}

export const DEFAULT_OWNER = 'default';

export const DEFAULT_PLAN_OPTIONS: PlanOptions = {
  namePrefix: DEFAULT_NAME_PREFIX,
  flavor: 'toolhive',
  owner: DEFAULT_OWNER,
  defaultNamespace: 'default',
};

export function isRegistryFlavor(value: string): value is RegistryFlavor {
  return (REGISTRY_FLAVORS as readonly string[]).includes(value);
}

export function resolvePlanOptions(options: Partial<PlanOptions> = {}): PlanOptions {
  const resolved = { ...DEFAULT_PLAN_OPTIONS };
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) (resolved as Record<string, unknown>)[key] = value;
  }
  return resolved;
}
