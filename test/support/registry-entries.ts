// Planned entries and registry versions for the pure diff and publishing-rules tests: a
// server.json with an ownership record, and one version of it as a registry holds it.

import type { OwnedSource } from '../../src/planner/ownership.ts';
import { OWNERSHIP_KEY, PUBLISHER_PROVIDED_KEY, SERVER_SCHEMA_URL, type ServerEntry } from '../../src/planner/server-entry.ts';
import type { EntryStatus, RegistryVersion } from '../../src/registry/client.ts';

export interface EntryOptions {
  owner?: string;
  installation?: string;
  digest?: string;
  description?: string;
  /** Default: the HTTPRoute named like the entry's last name part, in namespace mcp. */
  sources?: OwnedSource[];
}

export function serverEntry(name: string, options: EntryOptions = {}): ServerEntry {
  const short = name.split('/')[1]!;
  const record = {
    owner: options.owner ?? 'cluster-a',
    ...(options.installation ? { installation: options.installation } : {}),
    sources: options.sources ?? [{ kind: 'HTTPRoute', namespace: 'mcp', name: short }],
    ...(options.digest ? { digest: options.digest } : {}),
  };
  return {
    $schema: SERVER_SCHEMA_URL,
    name,
    description: options.description ?? 'An MCP server',
    version: '1.0.0',
    remotes: [{ type: 'streamable-http', url: `https://mcp.example.com/${short}/mcp` }],
    _meta: { [PUBLISHER_PROVIDED_KEY]: { 'io.github.stacklok': {}, [OWNERSHIP_KEY]: record } },
  };
}

/** One version as the registry holds it (a copy: the test's entry stays as it was). */
export function heldVersion(entry: ServerEntry, status: EntryStatus = 'active'): RegistryVersion {
  return { server: JSON.parse(JSON.stringify(entry)), status, isLatest: true, publishedAt: '2026-01-01T00:00:00Z' };
}
