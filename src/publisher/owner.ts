// The default owner ID (cli.md `--owner`): the UID of the cluster's kube-system
// Namespace, which lives as long as the cluster, so two clusters never share one.

import type { ClusterLookups } from '../cluster/lookups.ts';

export function clusterOwnerId(lookups: ClusterLookups): string {
  const uid = lookups.get('Namespace', '', 'kube-system')?.metadata?.uid;
  if (!uid) throw new Error('cannot tell the owner ID: the kube-system Namespace is not visible (grant get/list/watch on namespaces, or pass --owner)');
  return uid;
}
