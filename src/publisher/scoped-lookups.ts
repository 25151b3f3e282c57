// `--namespace` (repeatable): only HTTPRoutes, MCP resources and MCPServerEntries of these
// namespaces are exported. Everything they refer to (Gateways, Namespaces, Services, the
// MCP resource behind a route) is still looked up wherever it lives.

import type { ClusterLookups } from '../cluster/lookups.ts';
import { ANNOTATED_MCP_KINDS } from '../kubernetes/kinds.ts';
import type { KubeObject } from '../kubernetes/objects.ts';

const EXPORTING_KINDS: ReadonlySet<string> = new Set(['HTTPRoute', ...ANNOTATED_MCP_KINDS]);

export function namespaceScopedLookups(lookups: ClusterLookups, namespaces: readonly string[]): ClusterLookups {
  if (namespaces.length === 0) return lookups;
  const allowed = new Set(namespaces);
  return {
    get: (kind, namespace, name) => lookups.get(kind, namespace, name),
    list(kind: string, namespace?: string): readonly KubeObject[] {
      if (!EXPORTING_KINDS.has(kind)) return lookups.list(kind, namespace);
      if (namespace !== undefined) return allowed.has(namespace) ? lookups.list(kind, namespace) : [];
      return [...allowed].flatMap((ns) => lookups.list(kind, ns));
    },
  };
}
