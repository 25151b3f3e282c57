// What the ToolHive registry server keeps of a published server.json, and how the client
// gets back the document it published. Code reading of stacklok/toolhive-registry-server
// at 534eb23 (internal/service/db/impl_mcp.go insertServerVersionData, types.go
// helperToServer, sqlc ListServerRemotes):
//
//   - `_meta` keeps only `io.modelcontextprotocol.registry/publisher-provided`, whole (so the
//     ownership record and ToolHive's own extension survive);
//   - `icons` are written to their own table and never read back;
//   - `remotes` come back ordered by (type, url) in the database's collation, not as sent
//     (sqlc ListServerRemotes), and without `variables`;
//   - `$schema` is always the 2025-12-11 schema URL; `title` and `websiteUrl` only when not
//     empty; `repository` is kept (url, source, id, subfolder); packages come back ordered
//     by their version, descending (sqlc ListServerPackages). The planner's entries carry
//     none of `repository`, `websiteUrl`, `packages` or remote variables.
//
// The publisher compares what it plans with what the registry returns, so a lost icon or a
// reordered remote would look like a change on every pass and publish a new version each
// time. When an entry has icons or more than one remote, the client therefore keeps them,
// as sent, in one more publisher-provided key of its own, and restores them from there when
// it reads the entry back. Other readers of the registry see that key (and, as with every
// entry on this server, no icons).

import { PUBLISHER_PROVIDED_KEY, type ServerEntry } from '../../planner/server-entry.ts';
import type { RegistryServer } from '../client.ts';

/** The client's key inside publisher-provided: `{icons?, remotes?}` as published. */
export const KEPT_FIELDS_KEY = 'io.github.mcp-registry-export.toolhive-kept';

interface KeptFields {
  icons?: unknown[];
  remotes?: { type: string; url: string }[];
}

/** The server.json to POST: the entry (claims left out) plus what the server would lose. */
export function documentToPublish(entry: ServerEntry): Record<string, unknown> {
  const document = JSON.parse(JSON.stringify(entry)) as Record<string, unknown> & { _meta?: Record<string, Record<string, unknown>> };
  const kept: KeptFields = {};
  if (entry.icons && entry.icons.length > 0) kept.icons = entry.icons;
  if (entry.remotes.length > 1) kept.remotes = entry.remotes;
  if (kept.icons || kept.remotes) {
    const meta = (document._meta ??= {});
    meta[PUBLISHER_PROVIDED_KEY] = { ...(meta[PUBLISHER_PROVIDED_KEY] ?? {}), [KEPT_FIELDS_KEY]: JSON.parse(JSON.stringify(kept)) };
  }
  return document;
}

const remoteKey = (remote: { type?: unknown; url?: unknown }) => `${String(remote.type)}\u0000${String(remote.url)}`;

function sameRemotes(a: readonly { type?: unknown; url?: unknown }[], b: readonly { type?: unknown; url?: unknown }[]): boolean {
  if (a.length !== b.length) return false;
  const left = a.map(remoteKey).sort();
  const right = b.map(remoteKey).sort();
  return left.every((key, i) => key === right[i]);
}

/** The document as it was published: the kept fields restored and their key removed. */
export function publishedDocument(server: RegistryServer): RegistryServer {
  const provided = server._meta?.[PUBLISHER_PROVIDED_KEY] as Record<string, unknown> | undefined;
  const kept = provided?.[KEPT_FIELDS_KEY] as KeptFields | undefined;
  if (!provided || kept === undefined) return server;
  const { [KEPT_FIELDS_KEY]: _kept, ...rest } = provided;
  const restored: RegistryServer = { ...server, _meta: { ...server._meta, [PUBLISHER_PROVIDED_KEY]: rest } };
  if (Array.isArray(kept.icons) && kept.icons.length > 0) restored.icons = kept.icons;
  // The remotes the server holds win; the kept list only gives back their order.
  if (Array.isArray(kept.remotes) && sameRemotes(kept.remotes, server.remotes ?? [])) restored.remotes = kept.remotes;
  return restored;
}
