// The MCP registry API v0.1 `ServerResponse` ({server, _meta: {official}}) as the publisher
// sees one version. The upstream registry and the ToolHive registry server's read API
// both answer in this shape; ToolHive leaves `_meta` empty (no status, no isLatest), so a
// version without the official block is an active one the registry did not rank.

import { ENTRY_STATUSES, type EntryStatus, type RegistryServer, type RegistryVersion } from './client.ts';

export const OFFICIAL_KEY = 'io.modelcontextprotocol.registry/official';

export function versionFromResponse(raw: { server?: RegistryServer; _meta?: Record<string, unknown> }): RegistryVersion {
  const official = (raw._meta?.[OFFICIAL_KEY] ?? {}) as { status?: string; isLatest?: boolean; publishedAt?: string };
  const status = (ENTRY_STATUSES as readonly string[]).includes(official.status ?? '') ? (official.status as EntryStatus) : 'active';
  return { server: raw.server as RegistryServer, status, isLatest: official.isLatest === true, ...(official.publishedAt ? { publishedAt: official.publishedAt } : {}) };
}
