// Which final registry names an exported object claims, and for which owning namespace
// (annotation contract, check 4; the same names the planner gives its entries).

import type { ClusterLookups } from '../cluster/lookups.ts';
import { MCP_KINDS, isHTTPRoute } from '../kubernetes/kinds.ts';
import { namespaceOf, type KubeObject } from '../kubernetes/objects.ts';
import { resolveRouteBackends } from '../toolhive/backends.ts';
import { isExported, readRegistryAnnotations } from './registry-annotations.ts';
import { expandRegistryName } from './registry-name.ts';
import type { ContractOptions, NameClaim } from './types.ts';

export interface RegistryNameClaim extends NameClaim {
  registryName: string;
}

/** The final name of an MCP resource's entry: its registry-name, else `<prefix>/<name>`. */
export function mcpResourceRegistryName(resource: KubeObject, options: ContractOptions, override?: string): string {
  const namespace = namespaceOf(resource, options.defaultNamespace);
  const name = override ?? readRegistryAnnotations(resource.metadata?.annotations).name ?? resource.metadata?.name ?? '';
  return expandRegistryName(name, namespace, options.namePrefix);
}

/** Names claimed by one object, given its (normalized) annotations. Empty unless exported. */
export function registryNamesClaimedBy(
  object: KubeObject,
  annotations: Record<string, string>,
  lookups: ClusterLookups,
  options: ContractOptions,
): RegistryNameClaim[] {
  if (!isExported(annotations)) return [];
  const namespace = namespaceOf(object, options.defaultNamespace);
  const self = { kind: object.kind ?? '', namespace, name: object.metadata?.name ?? '' };
  const values = readRegistryAnnotations(annotations);
  if (!isHTTPRoute(object)) {
    const registryName = mcpResourceRegistryName({ ...object, metadata: { ...object.metadata, annotations } }, options);
    return [{ ...self, owningNamespace: namespace, registryName }];
  }
  const { backends, ambiguous } = resolveRouteBackends(object, namespace, lookups);
  if (ambiguous) return [];
  if (backends.length === 0) {
    if (!values.name || !values.description) return [];
    return [{ ...self, owningNamespace: namespace, registryName: expandRegistryName(values.name, namespace, options.namePrefix) }];
  }
  return backends.map((backend) => ({
    ...self,
    owningNamespace: backend.namespace,
    registryName: mcpResourceRegistryName(backend.resource, options, values.name),
  }));
}

/** An index of every exported object's claims, for `validate` and for tests. */
export function buildNameClaimIndex(lookups: ClusterLookups, options: ContractOptions): (registryName: string) => readonly NameClaim[] {
  const index = new Map<string, NameClaim[]>();
  for (const kind of ['HTTPRoute', ...MCP_KINDS]) {
    for (const object of lookups.list(kind)) {
      for (const claim of registryNamesClaimedBy(object, object.metadata?.annotations ?? {}, lookups, options)) {
        const { registryName, ...rest } = claim;
        const claims = index.get(registryName) ?? [];
        claims.push(rest);
        index.set(registryName, claims);
      }
    }
  }
  return (registryName) => index.get(registryName) ?? [];
}
