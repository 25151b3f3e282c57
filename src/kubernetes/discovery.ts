// Which version of each watched kind the API server serves, from the discovery documents
// of the candidate group versions. A group version can be served without the kind (the
// Gateway API's v1beta1 serves HTTPRoute but not ReferenceGrant unless its CRD is
// installed), so the kind's resource must appear in the document.
//
// A 404 on a group version reads as "not listed", but kube-apiserver also answers it for
// custom resources for a moment after a restart (kubernetes/kubernetes#71218, #115241):
// callers must not take one such answer as the kind being gone (KindInformer holds the
// kind's objects for a grace).

import type { KubeConfig } from '@kubernetes/client-node';
import { errorMessage, getJson, statusCodeOf, type GetOptions } from './api-requests.ts';
import { apiVersionFor, groupVersionPath, type WatchedKind } from './watched-kinds.ts';

interface APIResourceList {
  resources?: { name?: string }[];
}

/** Per kind: the served version, `null` when none is served, absent when discovery failed. */
export interface DiscoveryResult {
  served: Map<string, string | null>;
  /** Kinds whose answer is unknown, with why (any error but 404 on a group version). */
  errors: Map<string, string>;
  /**
   * Kinds served nowhere (`served` null), with what discovery saw, e.g. "API group
   * gateway.networking.k8s.io/v1 not listed by discovery".
   */
  unlisted: Map<string, string>;
}

type Document = { ok: true; resources: Set<string> } | { ok: false; notFound: boolean; error: string };

export async function discoverServedVersions(
  kubeConfig: KubeConfig,
  kinds: readonly WatchedKind[],
  options: GetOptions = {},
): Promise<DiscoveryResult> {
  const paths = [...new Set(kinds.flatMap((kind) => kind.versions.map((version) => groupVersionPath(kind.group, version))))];
  const documents = new Map<string, Document>();
  await Promise.all(
    paths.map(async (path) => {
      try {
        const list = await getJson<APIResourceList>(kubeConfig, path, options);
        documents.set(path, { ok: true, resources: new Set((list.resources ?? []).map((resource) => resource.name ?? '')) });
      } catch (error) {
        documents.set(path, { ok: false, notFound: statusCodeOf(error) === 404, error: errorMessage(error) });
      }
    }),
  );

  const result: DiscoveryResult = { served: new Map(), errors: new Map(), unlisted: new Map() };
  for (const kind of kinds) {
    let served: string | null = null;
    let failure: string | undefined;
    const seen: string[] = [];
    for (const version of kind.versions) {
      const document = documents.get(groupVersionPath(kind.group, version));
      if (!document) continue;
      const groupVersion = apiVersionFor(kind, version);
      if (document.ok) {
        if (document.resources.has(kind.plural)) {
          served = version;
          break;
        }
        seen.push(`API group ${groupVersion} does not list ${kind.plural}`);
      } else if (document.notFound) {
        seen.push(`API group ${groupVersion} not listed by discovery`);
      } else {
        // A more preferred version may be served behind this error: do not guess.
        failure = document.error;
        break;
      }
    }
    if (failure !== undefined) {
      result.errors.set(kind.kind, failure);
      continue;
    }
    result.served.set(kind.kind, served);
    if (served === null) result.unlisted.set(kind.kind, seen.join('; '));
  }
  return result;
}
