// The ToolHive registry server (stacklok/toolhive-registry-server v1 write API and its MCP
// registry v0.1 read API; research toolhive.md §4.1-§4.5, code reading at 534eb23, claims
// rules of v1.5.0 and later). Writes go to its one `managed` source; reads go through one
// registry, a named view over sources (`--toolhive-registry`, default `default`), which
// must include that source.
//
// How the publisher's operations map onto that API:
//
//   listByPrefix  GET /registry/{registry}/v0.1/servers?search=PREFIX&limit=100&cursor=...,
//                 every page; `search` is a substring match on name, title and description,
//                 so only names that start with the prefix are kept.
//   versionsOf    GET /registry/{registry}/v0.1/servers/{name}/versions; a 404 is "no
//                 versions", except "registry not found", which is an error (a wrong
//                 registry name must not look like an empty registry).
//   publish       POST /v1/entries {server, claims}. `claims` are the entry's (claims.ts:
//                 from authz-claims, never inside the server.json); left out when it has none.
//                 201 answers the stored server.json, which is what is returned.
//     409 "version already exists": the version is there, most likely our own publish whose
//                 answer was lost and that the retry repeated. Read it back: if its
//                 ownership record names our owner, the publish is done; otherwise the 409
//                 stands (with the reason: another owner, or the registry does not show the
//                 version: the managed source is not among its sources, or claims hide it).
//     409 "claims mismatch": claims belong to the name, shared by all its versions, and
//                 authz-claims changed. If every version of the name that we can read is
//                 ours, the name takes the new claims (PUT /v1/entries/server/{name}/claims)
//                 and the publish is made once more; otherwise the 409 stands.
//   setStatus deleted     DELETE /v1/entries/server/{name}/versions/{version} (204). The server
//                 removes the version for good (the last one takes the name and its claims
//                 with it), so a 404 means it is already gone: done. No version is kept as
//                 `deleted` as upstream does: deleted versions never appear in reads, and a
//                 deleted name@version may be published again.
//   setStatus active|deprecated   no request. The server has no status (every version it
//                 holds is active) and keeps `latest` itself: a publish moves it to the new
//                 version when that is newer, deleting its version moves it to the highest
//                 remaining one. The publisher asks for these only to re-rank a rollback on
//                 upstream, which this server does not need (the rollback's retire of the
//                 higher version moves the pointer).
//   publishPatterns  undefined: ToolHive tokens grant roles and claims, not name patterns.
//
// What reads return: the server's v0.1 answers carry an empty `_meta` (no status, isLatest
// or publishedAt), so every version read is `active`, `isLatest: false`, without a publish
// time; the diff then takes the highest version as current. That is the version the
// server's own `latest` pointer names (what `.../versions/latest` and `?version=latest`
// give its clients; internal/service/db/impl_mcp.go insertServerData, impl_common.go
// rePointLatestVersionIfNeeded): the pointer is the highest version by semver precedence
// (internal/versions IsNewerVersion), and every version the publisher makes is
// [v]MAJOR.MINOR.PATCH[-PRERELEASE], on which both orders agree. So `latest` is not read: it
// would cost a request per name and say nothing new. Nor is `GET /v1/entries/server/{name}/
// claims` (v1.5.0 and later): a claims mismatch is settled by the versions of the name,
// which a read shows anyway.
//
// The stored document loses icons and the remotes' order; stored-document.ts keeps and
// restores them so that what is read back equals what was published. Because a DELETE
// answers nothing, the client keeps the last document it read or published per version and
// returns it as the retired one, so the version keeps its ownership record in the
// publisher's view.
//
// Auth: `none` (a server with `auth.mode: anonymous`) or `token`: a bearer token from a file,
// sent on reads and writes, re-read before its `exp` and once after a 401. The token never
// reaches a log line or message. With authorization on (`auth.authz`), every read passes the
// registry's access gate: the token must cover the registry's claims (`registries[].claims`;
// a registry without claims is open to super-admins only), else every read is 403
// "insufficient claims for registry". That is configuration, not a passing fault: it is
// reported in one line that names the registry and the fix, and not retried.

import type { ServerEntry } from '../../planner/server-entry.ts';
import { ownerOf } from '../../planner/ownership.ts';
import { RegistryError, type EntryStatus, type RegistryClient, type RegistryServer, type RegistryVersion, type RequestOptions } from '../client.ts';
import { RegistryHttp, type RegistryHttpOptions } from '../http.ts';
import { versionFromResponse } from '../server-response.ts';
import { tokenFromFile, type Token } from '../token.ts';
import type { RegistryAuthConfig } from '../upstream/auth.ts';
import { claimsProblem, entryClaims, type EntryClaims } from '../../planner/entry-claims.ts';
import { documentToPublish, publishedDocument } from './stored-document.ts';

export const DEFAULT_TOOLHIVE_REGISTRY = 'default';
const PAGE_SIZE = 100;

export interface ToolHiveClientOptions extends RegistryHttpOptions {
  /** `none` or `token` (with `tokenFile`). */
  auth: RegistryAuthConfig;
  /** The registry read through `/registry/{name}/v0.1` (default `default`). */
  registryName?: string;
  /** Re-read the token file this long before the token's `exp` (default 60 s). */
  refreshBeforeMs?: number;
}

const versionKey = (name: string, version: string) => `${name}\u0000${version}`;

export class ToolHiveRegistryClient implements RegistryClient {
  readonly flavor = 'toolhive';
  readonly statusChanges = false;
  readonly baseUrl: string;
  readonly registryName: string;
  private readonly options: ToolHiveClientOptions;
  private readonly http: RegistryHttp;
  private token: Token | undefined;
  /** The last document read or published per name@version (the answer to a DELETE). */
  private readonly known = new Map<string, RegistryServer>();

  constructor(options: ToolHiveClientOptions) {
    if (options.auth.mode !== 'none' && options.auth.mode !== 'token') {
      throw new Error(`the ToolHive registry server takes a bearer token or no auth, not ${options.auth.mode}`);
    }
    if (options.auth.mode === 'token' && !options.auth.tokenFile) throw new Error('token auth needs a token file');
    this.options = options;
    this.http = new RegistryHttp(options);
    this.baseUrl = this.http.baseUrl;
    this.registryName = options.registryName ?? DEFAULT_TOOLHIVE_REGISTRY;
  }

  async listByPrefix(prefix: string, options: RequestOptions = {}): Promise<RegistryVersion[]> {
    if (prefix.trim().length < 3) throw new RegistryError('list', `refusing to list registry names by the prefix ${JSON.stringify(prefix)}: at least 3 characters are needed`, { retryable: false });
    const versions: RegistryVersion[] = [];
    let cursor: string | undefined;
    do {
      const query = new URLSearchParams({ search: prefix, limit: String(PAGE_SIZE) });
      if (cursor) query.set('cursor', cursor);
      const page = (await this.request('list', 'GET', this.readPath(`/servers?${query}`), undefined, options)) as { servers?: unknown[]; metadata?: { nextCursor?: string } };
      for (const raw of page.servers ?? []) {
        const version = this.fromRead(raw);
        if (version.server?.name?.startsWith(prefix)) versions.push(version);
      }
      cursor = page.metadata?.nextCursor || undefined;
    } while (cursor);
    this.forgetUnseen((name) => name.startsWith(prefix), versions);
    return versions;
  }

  async versionsOf(name: string, options: RequestOptions = {}): Promise<RegistryVersion[]> {
    let list: { servers?: unknown[] };
    try {
      list = (await this.request('versions', 'GET', this.readPath(`/servers/${encodeURIComponent(name)}/versions`), undefined, options)) as { servers?: unknown[] };
    } catch (error) {
      if (!(error instanceof RegistryError) || error.status !== 404 || /registry not found/i.test(error.message)) throw error;
      list = {};
    }
    const versions = (list.servers ?? []).map((raw) => this.fromRead(raw)).filter((v) => v.server?.name === name);
    this.forgetUnseen((other) => other === name, versions);
    return versions;
  }

  async publish(entry: ServerEntry, options: RequestOptions = {}): Promise<RegistryVersion> {
    const claims = entryClaims(entry);
    const subject = `${entry.name}@${entry.version}`;
    const problem = claims === undefined ? undefined : claimsProblem(claims);
    if (problem) throw new RegistryError('publish', `publish ${subject}: ${problem}`, { retryable: false });
    const body = { server: documentToPublish(entry), ...(claims ? { claims } : {}) };
    try {
      return this.published(await this.request('publish', 'POST', '/v1/entries', body, options, subject), entry);
    } catch (error) {
      if (!(error instanceof RegistryError) || error.status !== 409) throw error;
      if (/version already exists/i.test(error.message)) return this.alreadyPublished(entry, error, options);
      if (!/claims mismatch/i.test(error.message)) throw error;
      await this.adoptClaims(entry, claims, error, options);
      return this.published(await this.request('publish', 'POST', '/v1/entries', body, options, subject), entry);
    }
  }

  async setStatus(name: string, version: string, status: EntryStatus, options: RequestOptions = {}): Promise<RegistryVersion> {
    const key = versionKey(name, version);
    const server = this.known.get(key) ?? { name, version };
    if (status !== 'deleted') return { server, status: 'active', isLatest: false };
    const path = `/v1/entries/server/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}`;
    try {
      await this.request('delete', 'DELETE', path, undefined, options, `${name}@${version}`);
    } catch (error) {
      if (!(error instanceof RegistryError) || error.status !== 404) throw error;
      this.http.logger.debug({ registryName: name, version }, 'registry version already gone');
    }
    this.known.delete(key);
    return { server, status: 'deleted', isLatest: false };
  }

  async publishPatterns(): Promise<string[] | undefined> {
    return undefined;
  }

  private readPath(suffix: string): string {
    return `/registry/${encodeURIComponent(this.registryName)}/v0.1${suffix}`;
  }

  private remember(version: RegistryVersion): RegistryVersion {
    if (version.server?.name && version.server.version) this.known.set(versionKey(version.server.name, version.server.version), version.server);
    return version;
  }

  private fromRead(raw: unknown): RegistryVersion {
    const version = versionFromResponse(raw as never);
    return this.remember(version.server ? { ...version, server: publishedDocument(version.server) } : version);
  }

  /** Drop remembered documents of the names a read covered that it did not return. */
  private forgetUnseen(covered: (name: string) => boolean, seen: RegistryVersion[]): void {
    const keep = new Set(seen.map((v) => versionKey(v.server.name, v.server.version)));
    for (const [key, server] of this.known) if (covered(server.name) && !keep.has(key)) this.known.delete(key);
  }

  /** The version a 201 answered (the stored server.json), as published. */
  private published(answer: unknown, entry: ServerEntry): RegistryVersion {
    const stored = answer as Partial<RegistryServer> | undefined;
    const server = stored?.name === entry.name && stored.version === entry.version ? (stored as RegistryServer) : (documentToPublish(entry) as RegistryServer);
    return this.remember({ server: publishedDocument(server), status: 'active', isLatest: false });
  }

  private async alreadyPublished(entry: ServerEntry, conflict: RegistryError, options: RequestOptions): Promise<RegistryVersion> {
    const path = this.readPath(`/servers/${encodeURIComponent(entry.name)}/versions/${encodeURIComponent(entry.version)}`);
    let held: RegistryVersion | undefined;
    try {
      held = this.fromRead(await this.request('version', 'GET', path, undefined, options, `${entry.name}@${entry.version}`));
    } catch (error) {
      if (!(error instanceof RegistryError) || error.status !== 404) throw error;
    }
    const owner = ownerOf(entry);
    if (held && owner !== undefined && ownerOf(held.server) === owner) return held;
    const why = held
      ? `; that version belongs to ${ownerOf(held.server) === undefined ? 'no owner (no ownership record)' : `owner ${ownerOf(held.server)}`}`
      : `; registry ${this.registryName} does not show it to this token (is the managed source one of its sources? do the entry's claims hide it?)`;
    throw new RegistryError('publish', `${conflict.message}${why}`, { status: 409, retryable: false });
  }

  private async adoptClaims(entry: ServerEntry, claims: EntryClaims | undefined, conflict: RegistryError, options: RequestOptions): Promise<void> {
    const owner = ownerOf(entry);
    const versions = await this.versionsOf(entry.name, options);
    if (versions.length === 0) {
      throw new RegistryError('publish', `${conflict.message}; no version of ${entry.name} is visible to this token, so its claims are left alone`, { status: 409, retryable: false });
    }
    const foreign = versions.find((v) => owner === undefined || ownerOf(v.server) !== owner);
    if (foreign) {
      throw new RegistryError('publish', `${conflict.message}; ${entry.name}@${foreign.server.version} is not ours, so its claims are left alone`, { status: 409, retryable: false });
    }
    const path = `/v1/entries/server/${encodeURIComponent(entry.name)}/claims`;
    await this.request('claims', 'PUT', path, { claims: claims ?? {} }, options, entry.name);
    this.http.logger.info({ registryName: entry.name, claimKeys: Object.keys(claims ?? {}) }, 'registry entry claims replaced by those of its MCP resources');
  }

  private currentToken(force = false): string | undefined {
    const { auth } = this.options;
    if (auth.mode === 'none') return undefined;
    const refreshBefore = this.options.refreshBeforeMs ?? 60_000;
    if (!force && this.token && this.token.expiresAt - refreshBefore > Date.now()) return this.token.value;
    try {
      this.token = tokenFromFile(auth.tokenFile!);
    } catch (error) {
      throw new RegistryError('auth', `registry token: ${error instanceof Error ? error.message : String(error)}`, { retryable: true, cause: error });
    }
    return this.token.value;
  }

  /** A request with the bearer token; a read the registry's claims gate refuses says how to fix it. */
  private async request(operation: string, method: string, path: string, body: unknown, options: RequestOptions, subject?: string): Promise<unknown> {
    try {
      return await this.send(operation, method, path, body, options, subject);
    } catch (error) {
      if (error instanceof RegistryError && error.status === 403 && path.startsWith('/registry/') && /insufficient claims for registry/i.test(error.message)) {
        const registry = this.registryName;
        throw new RegistryError(
          error.operation,
          `${error.message}; the token's claims do not cover registry ${registry} (with authorization on, a registry without claims is open to super-admins only): ` +
            `set registries[].claims of ${registry} to claims the token carries, or use --toolhive-registry NAME of a registry the token covers`,
          { status: 403, retryable: false, cause: error },
        );
      }
      throw error;
    }
  }

  /** A request with the bearer token: the file is read again once after a 401, never a loop. */
  private async send(operation: string, method: string, path: string, body: unknown, options: RequestOptions, subject?: string): Promise<unknown> {
    const token = this.currentToken();
    try {
      return await this.http.send({ operation, method, path, body, token, subject }, options);
    } catch (error) {
      if (!(error instanceof RegistryError) || error.status !== 401 || token === undefined) throw error;
      const fresh = this.currentToken(true);
      if (fresh === token) throw error;
      return this.http.send({ operation, method, path, body, token: fresh, subject }, options);
    }
  }
}
