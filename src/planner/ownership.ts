// The publisher's ownership record inside each entry's publisher-provided metadata, under
// its own key (server-entry.ts OWNERSHIP_KEY, `io.github.mcp-registry-export`):
//
//   { "owner": "<owner ID>", "installation"?: "<installation ID>",
//     "sources": [ { "kind", "namespace", "name", "uid"? }, ... ], "claims"?, "digest"? }
//
// `owner` is the publisher's owner ID (an option, default "default"), as external-dns keeps
// its --txt-owner-id: a publisher only ever updates or removes entries whose record names
// its own owner ID, so two clusters (or two publishers) can share one registry.
// `installation` tells two installations of one owner (two releases in one cluster) apart
// (publishing.md §3); `digest` is what the publisher last sent (diff/content.ts), so a
// registry that drops or normalizes a field does not make it publish again. `sources`
// lists the Kubernetes objects that produced the entry (the exported routes and MCP
// resources, and the MCP resources behind the routes), sorted, so an operator can trace
// an entry back to the cluster. The record counts toward the registry's 4096-byte limit.

import type { KubeObject } from '../kubernetes/objects.ts';
import { compareRefs } from './contributions.ts';
import type { ObjectRef } from './result.ts';
import { OWNERSHIP_KEY, PUBLISHER_PROVIDED_KEY } from './server-entry.ts';

export interface OwnedSource extends ObjectRef {
  uid?: string;
}

export interface OwnershipRecord {
  owner: string;
  /** The installation (release) of this owner that wrote the entry; absent in records older than the field. */
  installation?: string;
  sources: OwnedSource[];
  /**
   * SHA-256 (hex, 16 characters) of the entry's ToolHive claims, when it has any. Claims are
   * sent beside the entry, not in it; their digest here makes a change of claims alone a
   * change of content, so it reaches the registry as a new version.
   */
  claims?: string;
  /** Digest of the entry's content as the publisher sent it (diff/content.ts), set when publishing. */
  digest?: string;
}

export function ownedSource(ref: ObjectRef, object: KubeObject): OwnedSource {
  const uid = object.metadata?.uid;
  return uid ? { ...ref, uid } : { ...ref };
}

function compareSources(a: OwnedSource, b: OwnedSource): number {
  return compareRefs(a, b);
}

/** Each object once (the first of its mentions), in the order given. */
export function uniqueSources(sources: Iterable<OwnedSource>): OwnedSource[] {
  const seen = new Set<string>();
  const unique: OwnedSource[] = [];
  for (const source of sources) {
    const key = `${source.kind}\u0000${source.namespace}\u0000${source.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(source);
  }
  return unique;
}

export function ownershipRecord(owner: string, sources: Iterable<OwnedSource>, installation?: string): OwnershipRecord {
  return { owner, ...(installation ? { installation } : {}), sources: uniqueSources(sources).sort(compareSources) };
}

/** The ownership record of a registry document, as far as it is well-formed; undefined when it has none. */
export function recordOf(server: { _meta?: Record<string, unknown> } | undefined): Partial<OwnershipRecord> | undefined {
  const provided = server?._meta?.[PUBLISHER_PROVIDED_KEY] as Record<string, unknown> | undefined;
  const record = provided?.[OWNERSHIP_KEY];
  return typeof record === 'object' && record !== null && !Array.isArray(record) ? (record as Partial<OwnershipRecord>) : undefined;
}

/** The owner ID in a registry document's ownership record, if it has one. */
export function ownerOf(server: { _meta?: Record<string, unknown> }): string | undefined {
  const owner = recordOf(server)?.owner;
  return typeof owner === 'string' ? owner : undefined;
}

/** The installation ID in a registry document's ownership record, if it has one. */
export function installationOf(server: { _meta?: Record<string, unknown> }): string | undefined {
  const installation = recordOf(server)?.installation;
  return typeof installation === 'string' ? installation : undefined;
}

/** The objects named by a registry document's ownership record. */
export function sourcesOf(server: { _meta?: Record<string, unknown> }): OwnedSource[] {
  const sources = recordOf(server)?.sources as unknown;
  if (!Array.isArray(sources)) return [];
  return sources.filter(
    (s): s is OwnedSource => typeof s === 'object' && s !== null && typeof s.kind === 'string' && typeof s.namespace === 'string' && typeof s.name === 'string',
  );
}

/** Does an entry (as read back from a registry) carry this owner's record? */
export function isOwnedBy(entry: { _meta?: Record<string, unknown> }, owner: string): boolean {
  return ownerOf(entry) === owner;
}
