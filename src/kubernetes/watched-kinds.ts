// The kinds the informer caches watch, with the API coordinates to find them. Discovery
// picks, per kind, the first listed version the API server serves; a kind with none is
// "not served" and counts as empty (e.g. ReferenceGrant when its CRD is not installed).

import { CLUSTER_SCOPED_KINDS } from '../cluster/lookups.ts';
import { GATEWAY_API_GROUP, TOOLHIVE_GROUP } from './kinds.ts';

export interface WatchedKind {
  kind: string;
  /** '' for the core group. */
  group: string;
  /** Versions to use, most preferred first. */
  versions: readonly string[];
  /** Resource name in URLs, e.g. `httproutes`. */
  plural: string;
  /** Cluster-scoped kinds ignore the namespace in look-ups; default: CLUSTER_SCOPED_KINDS. */
  clusterScoped?: boolean;
}

export const DEFAULT_WATCHED_KINDS: readonly WatchedKind[] = [
  { kind: 'GatewayClass', group: GATEWAY_API_GROUP, versions: ['v1'], plural: 'gatewayclasses' },
  { kind: 'Gateway', group: GATEWAY_API_GROUP, versions: ['v1'], plural: 'gateways' },
  { kind: 'HTTPRoute', group: GATEWAY_API_GROUP, versions: ['v1'], plural: 'httproutes' },
  { kind: 'ReferenceGrant', group: GATEWAY_API_GROUP, versions: ['v1beta1'], plural: 'referencegrants' },
  { kind: 'Namespace', group: '', versions: ['v1'], plural: 'namespaces' },
  { kind: 'Service', group: '', versions: ['v1'], plural: 'services' },
  { kind: 'MCPServer', group: TOOLHIVE_GROUP, versions: ['v1beta1', 'v1alpha1'], plural: 'mcpservers' },
  { kind: 'MCPRemoteProxy', group: TOOLHIVE_GROUP, versions: ['v1beta1', 'v1alpha1'], plural: 'mcpremoteproxies' },
  { kind: 'VirtualMCPServer', group: TOOLHIVE_GROUP, versions: ['v1beta1', 'v1alpha1'], plural: 'virtualmcpservers' },
  // Not exported itself: the tool filter and overrides of MCPServers and MCPRemoteProxies (discovery.md section 9).
  { kind: 'MCPToolConfig', group: TOOLHIVE_GROUP, versions: ['v1beta1', 'v1alpha1'], plural: 'mcptoolconfigs' },
  { kind: 'MCPServerEntry', group: TOOLHIVE_GROUP, versions: ['v1beta1', 'v1alpha1'], plural: 'mcpserverentries' },
];

export function isClusterScoped(kind: WatchedKind): boolean {
  return kind.clusterScoped ?? CLUSTER_SCOPED_KINDS.has(kind.kind);
}

export function apiVersionFor(kind: WatchedKind, version: string): string {
  return kind.group ? `${kind.group}/${version}` : version;
}

/** `/api/v1` or `/apis/<group>/<version>`: the discovery document of a group version. */
export function groupVersionPath(group: string, version: string): string {
  return group ? `/apis/${group}/${version}` : `/api/${version}`;
}

/** The cluster-wide collection URL path of a kind, e.g. `/apis/gateway.networking.k8s.io/v1/httproutes`. */
export function collectionPath(kind: WatchedKind, version: string): string {
  return `${groupVersionPath(kind.group, version)}/${kind.plural}`;
}

/**
 * How logs name a watched resource: its collection path once the version is known
 * (`/apis/gateway.networking.k8s.io/v1/httproutes`), else `httproutes.gateway.networking.k8s.io`.
 */
export function describeResource(kind: WatchedKind, version?: string): string {
  if (version) return collectionPath(kind, version);
  return kind.group ? `${kind.plural}.${kind.group}` : kind.plural;
}
