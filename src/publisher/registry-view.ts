// The publisher's picture of what the registry holds for this owner: every version
// (deleted ones included) of every name in its read scope. Read in full at start, at every
// resync and after a write failed; between those, the publisher's own writes keep it
// current, so a change in the cluster costs only the writes it needs.

import type { RegistryClient, RegistryVersion, RequestOptions } from '../registry/client.ts';
import { isCovered, type ReadScope } from './read-scope.ts';

export class RegistryView {
  private readonly byName = new Map<string, RegistryVersion[]>();
  private readonly prefixes: string[];
  private readonly names = new Set<string>();
  /** Registry requests the last load made. */
  readonly requests: number;

  private constructor(prefixes: string[], requests: number) {
    this.prefixes = prefixes;
    this.requests = requests;
  }

  static async load(client: RegistryClient, scope: ReadScope, options: RequestOptions = {}): Promise<RegistryView> {
    const view = new RegistryView(scope.prefixes, 0);
    for (const prefix of scope.prefixes) {
      for (const version of await client.listByPrefix(prefix, options)) view.put(version);
    }
    for (const name of scope.names) await view.readName(client, name, options);
    return view;
  }

  /** Is `name` in what was read (so a missing name really is absent from the registry)? */
  covers(name: string): boolean {
    return this.names.has(name) || isCovered(name, this.prefixes);
  }

  /** Read one more name (a newly planned one outside the listed prefixes). */
  async readName(client: RegistryClient, name: string, options: RequestOptions = {}): Promise<void> {
    const versions = await client.versionsOf(name, options);
    this.byName.delete(name);
    this.names.add(name);
    for (const version of versions) this.put(version);
  }

  /** All versions by name, for the diff. */
  entries(): ReadonlyMap<string, readonly RegistryVersion[]> {
    return this.byName;
  }

  /** Record a version the registry returned (a publish or a status change). */
  put(version: RegistryVersion): void {
    const name = version.server.name;
    const versions = this.byName.get(name) ?? [];
    const index = versions.findIndex((v) => v.server.version === version.server.version);
    if (version.isLatest) for (const other of versions) other.isLatest = false;
    if (index >= 0) versions[index] = version;
    else versions.push(version);
    this.byName.set(name, versions);
  }

  /** Record a status change the registry confirmed without returning the version. */
  setStatus(name: string, version: string, status: RegistryVersion['status']): void {
    const held = this.byName.get(name)?.find((v) => v.server.version === version);
    if (held) held.status = status;
  }

  /** Versions held, for logs and metrics. */
  get size(): number {
    let count = 0;
    for (const versions of this.byName.values()) count += versions.length;
    return count;
  }
}
