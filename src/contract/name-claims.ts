// Which final registry names an exported object claims, and for which owning namespace
// (annotation contract, check 4; the same names the planner gives its entries).

import type { ClusterLookups } from '../cluster/lookups.ts';
import { ruleForwards } from '../gateway-api/forwarding.ts';
import { ANNOTATED_MCP_KINDS, isHTTPRoute } from '../kubernetes/kinds.ts';
import { namespaceOf, type KubeObject } from '../kubernetes/objects.ts';
import { resolveRouteBackends } from '../toolhive/backends.ts';
import { isExported, readRegistryAnnotations, readRegistryText } from './registry-annotations.ts';
import { expandRegistryName } from './registry-name.ts';
import type { ContractOptions, ExportIndex, NameClaim } from './types.ts';

export interface RegistryNameClaim extends NameClaim {
  registryName: string;
}

/** The final name of an MCP resource's (or MCPServerEntry's) entry: its registry-name, else `<prefix>/<name>`. */
export function mcpResourceRegistryName(resource: KubeObject, options: ContractOptions, override?: string): string {
  const namespace = namespaceOf(resource, options.defaultNamespace);
  const name = override ?? readRegistryText(resource.metadata?.annotations, 'name') ?? resource.metadata?.name ?? '';
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
  if (!isHTTPRoute(object)) {
    const registryName = mcpResourceRegistryName({ ...object, metadata: { ...object.metadata, annotations } }, options);
    return [{ ...self, owningNamespace: namespace, registryName }];
  }
  // A route none of whose rules forwards publishes nothing, so it claims no name (as the planner skips it).
  if (!(object.spec?.rules ?? []).some(ruleForwards)) return [];
  const { backends, ambiguous } = resolveRouteBackends(object, namespace, lookups);
  if (ambiguous) return [];
  const name = readRegistryText(annotations, 'name');
  if (backends.length === 0) {
    if (!name || !readRegistryText(annotations, 'description')) return [];
    return [{ ...self, owningNamespace: namespace, registryName: expandRegistryName(name, namespace, options.namePrefix) }];
  }
  return backends.map((backend) => ({
    ...self,
    owningNamespace: backend.namespace,
    registryName: mcpResourceRegistryName(backend.resource, options, name),
  }));
}

function resourceKey(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

/**
 * One walk over every exported object: the registry names they claim (check 4) and the MCP
 * resources that an exported, described route reaches (check 5). Built once per cluster
 * snapshot, so neither check walks the cluster per object judged.
 */
export function buildExportIndex(lookups: ClusterLookups, options: ContractOptions): ExportIndex {
  const claims = new Map<string, NameClaim[]>();
  const describedByRoute = new Set<string>();
  for (const kind of ['HTTPRoute', ...ANNOTATED_MCP_KINDS]) {
    for (const object of lookups.list(kind)) {
      const annotations = object.metadata?.annotations ?? {};
      if (!isExported(annotations)) continue;
      try {
        for (const claim of registryNamesClaimedBy(object, annotations, lookups, options)) {
          const { registryName, ...rest } = claim;
          const named = claims.get(registryName) ?? [];
          named.push(rest);
          claims.set(registryName, named);
        }
        if (isHTTPRoute(object) && readRegistryAnnotations(annotations).description !== undefined) {
          const { backends } = resolveRouteBackends(object, namespaceOf(object, options.defaultNamespace), lookups);
          for (const backend of backends) describedByRoute.add(resourceKey(backend.kind, backend.namespace, backend.name));
        }
      } catch {
        // A spec that breaks its CRD schema (manifests may hold one; the API server does not
        // store them) claims nothing here; judging the object itself says it is malformed.
      }
    }
  }
  return {
    claimsOf: (registryName) => claims.get(registryName) ?? [],
    describedByRoute: (kind, namespace, name) => describedByRoute.has(resourceKey(kind, namespace, name)),
  };
}
