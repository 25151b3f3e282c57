// The diff: planned entries against what the registry holds, as the writes that make the
// registry match the plan (cli.md `diff`; discovery.md section 7). Pure.
//
// Ownership decides what may be touched, as external-dns' owner ID does: a name is ours
// when its newest version carries our ownership record (identity.ts: our owner and our
// installation); names of other owners, other installations (or of none) are never
// written, and a planned name that another writer holds is a conflict.
//
// For a name that is ours:
//   - planned, nothing active, or the active version's content (or base) differs: `update`
//     (a new version, version-scheme.ts), then the older active versions are retired, so
//     a client sees one current version;
//   - planned and the same: nothing (a restart with nothing changed writes nothing), or
//     `activate` when the version clients see is deprecated (a server ready again);
//     "the same" also when the registry's copy differs but carries the digest of exactly
//     what is planned (the registry dropped or normalized a field: `altered`);
//   - not planned: `retire` every version that is not deleted yet.
// Whether a write may go out now (holds, policy, the retire guard) is ../publishing-rules/.
// A planned name the registry does not know: `publish`.
//
// Order. The registry lets a remote URL belong to one name only (among versions that are
// not deleted), so the retire of a version that holds a URL another name is about to take
// (a rename, a URL moving between names) goes first and the publish waits for it (`after`).
// Other retires of superseded versions follow their name's new version, so an entry is
// never missing while it changes.

import { ownerOf, sourcesOf, type OwnedSource } from '../planner/ownership.ts';
import type { ServerEntry } from '../planner/server-entry.ts';
import { OWNERSHIP_KEY, PUBLISHER_PROVIDED_KEY } from '../planner/server-entry.ts';
import type { RegistryVersion } from '../registry/client.ts';
import { changedFields, comparableKey, contentDigest, recordedDigest } from './content.ts';
import { asIdentity, conflictReason, standingOf, type Identity } from './identity.ts';
import { compareRegistryVersions } from './registry-order.ts';
import { nextVersion, revisionOf } from './version-scheme.ts';

export type WriteKind = 'publish' | 'update' | 'retire' | 'activate' | 'deprecate';

/** The objects a write is about: a new version's ownership record, or the version's recorded sources. */
export function writeSources(write: Write): OwnedSource[] {
  return 'entry' in write ? sourcesOf(write.entry) : write.sources;
}

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
  /** The name whose new version supersedes this one; undefined: the name itself goes away. */
  supersededBy?: string;
}

/** A status change of one version, never a new version: `activate` a deprecated one, `deprecate` an active one. */
export interface StatusWrite extends WriteBase {
  kind: 'activate' | 'deprecate';
  /** The objects the version was made from (its ownership record), for Events. */
  sources: OwnedSource[];
  /** The registry's statusMessage (upstream v0.1), when there is something to say. */
  message?: string;
}

export type Write = PublishWrite | RetireWrite | StatusWrite;

/** A name this installation holds in the registry, for the publishing rules. */
export interface OwnedName {
  name: string;
  /** The version clients see (the registry's latest among those not deleted); undefined: none active. */
  current: RegistryVersion | undefined;
  /** The objects its ownership record names (of the current version, else of the newest). */
  sources: OwnedSource[];
  planned: boolean;
}

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
  /** Names whose registry copy differs from what was sent for the same plan (a lossy registry): not republished. */
  altered: string[];
  /** Every name this installation holds (planned or not). */
  owned: OwnedName[];
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
export function diffEntries(planned: readonly ServerEntry[], registry: ReadonlyMap<string, readonly RegistryVersion[]>, who: string | Identity): DiffResult {
  const identity = asIdentity(who);
  const names = new Map<string, NamePlan>();
  for (const entry of planned) names.set(entry.name, { name: entry.name, planned: entry, versions: [...(registry.get(entry.name) ?? [])] });
  for (const [name, versions] of registry) {
    if (!names.has(name)) names.set(name, { name, planned: undefined, versions: [...versions] });
  }

  const conflicts: Conflict[] = [];
  const unchanged: string[] = [];
  const altered: string[] = [];
  const owned: OwnedName[] = [];
  const statusWrites: Omit<StatusWrite, 'id' | 'after'>[] = [];
  const publishes: (Omit<PublishWrite, 'id' | 'after' | 'rerankLatest'> & { ranksFirst: boolean })[] = [];
  /** Versions to retire, with the name whose new version supersedes them (undefined: the name is gone). */
  const retires: { name: string; version: string; urls: string[]; sources: OwnedSource[]; reason: string; supersededBy?: string }[] = [];

  for (const item of [...names.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const { name, planned: entry, versions } = item;
    const newest = newestFirst(versions)[0];
    const standing = newest ? standingOf(newest.server, identity) : 'ours';
    if (newest && standing !== 'ours') {
      if (entry) conflicts.push({ name, owner: ownerOf(newest.server), reason: conflictReason(name, newest.server, standing) });
      continue;
    }
    const active = versions.filter((v) => v.status !== 'deleted');
    const current = currentVersion(active);
    if (newest) owned.push({ name, current, sources: sourcesOf((current ?? newest).server), planned: entry !== undefined });
    if (!entry) {
      for (const version of active) retires.push({ name, version: version.server.version, urls: remoteUrls(version.server), sources: sourcesOf(version.server), reason: 'no longer planned' });
      continue;
    }
    const baseVersion = entry.version;
    const sameCopy = current !== undefined && comparableKey(current.server) === comparableKey(entry);
    const sameDigest = current !== undefined && recordedDigest(current.server) === contentDigest(entry);
    const sameContent = sameCopy || sameDigest;
    const sameBase = current !== undefined && revisionOf(baseVersion, current.server.version) !== undefined;
    if (current && sameContent && sameBase) {
      unchanged.push(name);
      if (!sameCopy) altered.push(name);
      if (current.status === 'deprecated') {
        statusWrites.push({ kind: 'activate', name, version: current.server.version, sources: sourcesOf(current.server), reason: 'deprecated, and planned as it is' });
      }
      for (const version of active) {
        if (version !== current) retires.push({ name, version: version.server.version, urls: remoteUrls(version.server), sources: sourcesOf(version.server), reason: `superseded by ${name}@${current.server.version}`, supersededBy: name });
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
      entry: withDigest({ ...entry, version: next.version }),
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
    writes.push(retireWrite(id, retire, `${retire.reason}; frees ${takers.length === 1 ? 'a URL' : 'URLs'} for ${takers.join(', ')}`, []));
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
    writes.push(retireWrite(id, retire, retire.reason, supersedingId === undefined ? [] : [supersedingId]));
  }
  for (const status of statusWrites) writes.push({ ...status, id: writes.length, after: [] });
  return { writes, conflicts, unchanged, altered, owned };
}

interface PlannedRetire {
  name: string;
  version: string;
  sources: OwnedSource[];
  supersededBy?: string;
}

function retireWrite(id: number, retire: PlannedRetire, reason: string, after: number[]): RetireWrite {
  const { name, version, sources, supersededBy } = retire;
  return { id, kind: 'retire', name, version, sources, reason, after, ...(supersededBy === undefined ? {} : { supersededBy }) };
}

/** The entry with the digest of its content in its ownership record (what the publisher sends). */
export function withDigest(entry: ServerEntry): ServerEntry {
  const provided = entry._meta[PUBLISHER_PROVIDED_KEY];
  const record = { ...provided[OWNERSHIP_KEY], digest: contentDigest(entry) };
  return { ...entry, _meta: { ...entry._meta, [PUBLISHER_PROVIDED_KEY]: { ...provided, [OWNERSHIP_KEY]: record } } };
}
