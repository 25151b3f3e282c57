// The publisher's ownership record inside each entry's publisher-provided metadata, under
// its own key (server-entry.ts OWNERSHIP_KEY, `io.github.mcp-registry-export`):
//
//   { "owner": "<owner ID>", "sources": [ { "kind", "namespace", "name", "uid"? }, ... ] }
//
// `owner` is the publisher's owner ID (an option, default "default"), as external-dns keeps
// its --txt-owner-id: a publisher only ever updates or removes entries whose record names
// its own owner ID, so two clusters (or two publishers) can share one registry. `sources`
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
  sources: OwnedSource[];
  /**
   * SHA-256 (hex, 16 characters) of the entry's ToolHive claims, when it has any. Claims are
   * sent beside the entry, not in it; their digest here makes a change of claims alone a
   * change of content, so it reaches the registry as a new version.
   */
  claims?: string;
}

export function ownedSource(ref: ObjectRef, object: KubeObject): OwnedSource {
  const uid = object.metadata?.uid;
  return uid ? { ...ref, uid } : { ...ref };
}

function compareSources(a: OwnedSource, b: OwnedSource): number {
  return compareRefs(a, b);
}

export function ownershipRecord(owner: string, sources: Iterable<OwnedSource>): OwnershipRecord {
  const unique: OwnedSource[] = [];
  for (const source of sources) {
    const same = (other: OwnedSource) => other.kind === source.kind && other.namespace === source.namespace && other.name === source.name;
    if (!unique.some(same)) unique.push(source);
  }
  return { owner, sources: unique.sort(compareSources) };
}

/** Does an entry (as read back from a registry) carry this owner's record? */
export function isOwnedBy(entry: { _meta?: Record<string, unknown> }, owner: string): boolean {
  const provided = entry._meta?.[PUBLISHER_PROVIDED_KEY] as Record<string, unknown> | undefined;
  const record = provided?.[OWNERSHIP_KEY] as Partial<OwnershipRecord> | undefined;
  return record?.owner === owner;
}
