// The diff: planned entries against what the registry holds, as the writes that make the
// registry match the plan (cli.md `diff`; discovery.md section 7). Pure.
//
// Ownership decides what may be touched, as external-dns' owner ID does: a name is ours
// when its newest version carries our ownership record; names of other owners (or of
// none) are never written, and a planned name that another owner holds is a conflict.
//
// For a name that is ours:
//   - planned, nothing active, or the active version's content (or base) differs: `update`
//     (a new version, version-scheme.ts), then the older active versions are retired, so
//     a client sees one current version;
//   - planned and the same: nothing (a restart with nothing changed writes nothing);
//   - not planned: `retire` every version that is not deleted yet.
// A planned name the registry does not know: `publish`.
//
// Order. The registry lets a remote URL belong to one name only (among versions that are
// not deleted), so the retire of a version that holds a URL another name is about to take
// (a rename, a URL moving between names) goes first and the publish waits for it (`after`).
// Other retires of superseded versions follow their name's new version, so an entry is
// never missing while it changes.

import type { OwnedSource } from '../planner/ownership.ts';
import type { ServerEntry } from '../planner/server-entry.ts';
import { OWNERSHIP_KEY, PUBLISHER_PROVIDED_KEY } from '../planner/server-entry.ts';
import type { RegistryServer, RegistryVersion } from '../registry/client.ts';
import { changedFields, contentKey } from './content.ts';
import { compareRegistryVersions } from './registry-order.ts';
import { nextVersion, revisionOf } from './version-scheme.ts';

export type WriteKind = 'publish' | 'update' | 'retire';

interface WriteBase {
  /** Position in `writes`; `after` refers to these. */
  id: number;
  kind: WriteKind;
  name: string;
  version: string;
  /** One line: why. */
  reason: string;
  /** Writes that must have succeeded first. */
  after: number[];
}

export interface PublishWrite extends WriteBase {
  kind: 'publish' | 'update';
  /** The planned entry with the version this write publishes. */
  entry: ServerEntry;
  /** The planner's base version. */
  baseVersion: string;
  /**
   * The registry will not rank it latest by itself (a rollback of the base) and no older
   * active version is retired after it: the caller re-ranks it (a status round trip).
   */
  rerankLatest: boolean;
}

export interface RetireWrite extends WriteBase {
  kind: 'retire';
  /** The objects the retired version was made from (its ownership record), for Events. */
  sources: OwnedSource[];
}

export type Write = PublishWrite | RetireWrite;

export interface Conflict {
  name: string;
  /** The owner named by the registry's newest version of the name; undefined: no record. */
  owner: string | undefined;
  reason: string;
}

export interface DiffResult {
  writes: Write[];
  conflicts: Conflict[];
  /** Planned names that are ours and already current. */
  unchanged: string[];
}

/** The objects named by a registry document's ownership record. */
export function sourcesOf(server: Pick<RegistryServer, '_meta'>): OwnedSource[] {
  const provided = server._meta?.[PUBLISHER_PROVIDED_KEY] as Record<string, unknown> | undefined;
  const sources = (provided?.[OWNERSHIP_KEY] as { sources?: unknown } | undefined)?.sources;
  if (!Array.isArray(sources)) return [];
  return sources.filter(
    (s): s is OwnedSource => typeof s === 'object' && s !== null && typeof s.kind === 'string' && typeof s.namespace === 'string' && typeof s.name === 'string',
  );
}

/** The owner ID in a registry document's ownership record, if it has one. */
export function ownerOf(server: Pick<RegistryServer, '_meta'>): string | undefined {
  const provided = server._meta?.[PUBLISHER_PROVIDED_KEY] as Record<string, unknown> | undefined;
  const record = provided?.[OWNERSHIP_KEY] as { owner?: unknown } | undefined;
  return typeof record?.owner === 'string' ? record.owner : undefined;
}

function newestFirst(versions: readonly RegistryVersion[]): RegistryVersion[] {
  const time = (v: RegistryVersion) => (v.publishedAt === undefined ? 0 : Date.parse(v.publishedAt));
  return [...versions].sort((a, b) => time(b) - time(a));
}

/** The active version clients see: the registry's latest among those not deleted, else the highest. */
function currentVersion(active: readonly RegistryVersion[]): RegistryVersion | undefined {
  const latest = active.find((v) => v.isLatest);
  if (latest) return latest;
  let best: RegistryVersion | undefined;
  for (const candidate of active) {
    const at = (v: RegistryVersion) => ({ version: v.server.version, ...(v.publishedAt ? { publishedAt: v.publishedAt } : {}) });
    if (!best || compareRegistryVersions(at(candidate), at(best)) > 0) best = candidate;
  }
  return best;
}

function remoteUrls(server: { remotes?: readonly { url: string }[] }): string[] {
  return (server.remotes ?? []).map((remote) => remote.url);
}

interface NamePlan {
  name: string;
  planned: ServerEntry | undefined;
  versions: RegistryVersion[];
}

/**
 * `registry` maps each name that was read to all its versions (deleted included); names
 * that were read and have none may be missing or map to [].
 */
export function diffEntries(planned: readonly ServerEntry[], registry: ReadonlyMap<string, readonly RegistryVersion[]>, owner: string): DiffResult {
  const names = new Map<string, NamePlan>();
  for (const entry of planned) names.set(entry.name, { name: entry.name, planned: entry, versions: [...(registry.get(entry.name) ?? [])] });
  for (const [name, versions] of registry) {
    if (!names.has(name)) names.set(name, { name, planned: undefined, versions: [...versions] });
  }

  const conflicts: Conflict[] = [];
  const unchanged: string[] = [];
  const publishes: (Omit<PublishWrite, 'id' | 'after' | 'rerankLatest'> & { ranksFirst: boolean })[] = [];
  /** Versions to retire, with the name whose new version supersedes them (undefined: the name is gone). */
  const retires: { name: string; version: string; urls: string[]; sources: OwnedSource[]; reason: string; supersededBy?: string }[] = [];

  for (const item of [...names.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const { name, planned: entry, versions } = item;
    const newest = newestFirst(versions)[0];
    if (newest && ownerOf(newest.server) !== owner) {
      if (entry) {
        const other = ownerOf(newest.server);
        conflicts.push({ name, owner: other, reason: other ? `the registry's ${name} belongs to owner ${other}` : `the registry's ${name} has no ownership record (published by someone else)` });
      }
      continue;
    }
    const active = versions.filter((v) => v.status !== 'deleted');
    if (!entry) {
      for (const version of active) retires.push({ name, version: version.server.version, urls: remoteUrls(version.server), sources: sourcesOf(version.server), reason: 'no longer planned' });
      continue;
    }
    const current = currentVersion(active);
    const baseVersion = entry.version;
    const sameContent = current !== undefined && contentKey(current.server) === contentKey(entry);
    const sameBase = current !== undefined && revisionOf(baseVersion, current.server.version) !== undefined;
    if (current && sameContent && sameBase) {
      unchanged.push(name);
      for (const version of active) {
        if (version !== current) retires.push({ name, version: version.server.version, urls: remoteUrls(version.server), sources: sourcesOf(version.server), reason: `superseded by ${name}@${current.server.version}` });
      }
      continue;
    }
    const next = nextVersion(
      baseVersion,
      versions.map((v) => ({ version: v.server.version, ...(v.publishedAt ? { publishedAt: v.publishedAt } : {}) })),
    );
    let reason: string;
    if (versions.length === 0) reason = 'new entry';
    else if (!current) reason = 'no active version (all retired)';
    else if (!sameContent) reason = `changed: ${changedFields(entry as unknown as Record<string, unknown>, current.server).join(', ')}`;
    else reason = `base version changed to ${baseVersion}`;
    publishes.push({
      kind: versions.length === 0 ? 'publish' : 'update',
      name,
      version: next.version,
      reason,
      entry: { ...entry, version: next.version },
      baseVersion,
      ranksFirst: next.ranksFirst,
    });
    for (const version of active) {
      retires.push({ name, version: version.server.version, urls: remoteUrls(version.server), sources: sourcesOf(version.server), reason: `superseded by ${name}@${next.version}`, supersededBy: name });
    }
  }

  // A retire must go first when its version holds a URL that another name's publish wants.
  const wantedBy = new Map<string, string>();
  for (const publish of publishes) for (const url of remoteUrls(publish.entry)) wantedBy.set(url, publish.name);
  const writes: Write[] = [];
  const blockingRetireIds = new Map<string, number[]>(); // publishing name -> retire ids it waits for
  const deferred: typeof retires = [];
  for (const retire of retires) {
    const takers = [...new Set(retire.urls.map((url) => wantedBy.get(url)).filter((taker): taker is string => taker !== undefined && taker !== retire.name))];
    if (takers.length === 0) {
      deferred.push(retire);
      continue;
    }
    const id = writes.length;
    writes.push({ id, kind: 'retire', name: retire.name, version: retire.version, sources: retire.sources, reason: `${retire.reason}; frees ${takers.length === 1 ? 'a URL' : 'URLs'} for ${takers.join(', ')}`, after: [] });
    for (const taker of takers) blockingRetireIds.set(taker, [...(blockingRetireIds.get(taker) ?? []), id]);
  }
  const publishIds = new Map<string, number>();
  for (const { ranksFirst, ...publish } of publishes) {
    const id = writes.length;
    // Retiring an older version after it makes the registry rank the versions again.
    const rerankLatest = !ranksFirst && !deferred.some((retire) => retire.supersededBy === publish.name);
    writes.push({ ...publish, id, after: blockingRetireIds.get(publish.name) ?? [], rerankLatest });
    publishIds.set(publish.name, id);
  }
  for (const retire of deferred) {
    const id = writes.length;
    const supersedingId = retire.supersededBy === undefined ? undefined : publishIds.get(retire.supersededBy);
    writes.push({ id, kind: 'retire', name: retire.name, version: retire.version, sources: retire.sources, reason: retire.reason, after: supersedingId === undefined ? [] : [supersedingId] });
  }
  return { writes, conflicts, unchanged };
}
