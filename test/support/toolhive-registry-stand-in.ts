// A stand-in for the ToolHive registry server (stacklok/toolhive-registry-server), which
// cannot be built here: the Go module proxy refuses the module (research toolhive.md §4.5).
// It answers only the routes the ToolHive client uses (and a few beside them), the way the
// server's code does at commit 534eb23 (after v1.5.1; the claims rules are those of v1.5.0
// and later), read file by file:
//
//   GET    /registry/{registry}/v0.1/servers                ?search ?limit ?cursor ?version
//   GET    /registry/{registry}/v0.1/servers/{name}/versions
//   GET    /registry/{registry}/v0.1/servers/{name}/versions/{version|latest}
//   POST   /v1/entries                                      {server, claims}
//   DELETE /v1/entries/{type}/{name}/versions/{version}
//   GET    /v1/entries/{type}/{name}/claims                 -> {claims}
//   PUT    /v1/entries/{type}/{name}/claims                 {claims}
//
// Reads (internal/api/registry/v01/routes.go handleListServers, handleListVersions,
// handleGetVersion, writeServiceError; internal/service/db/impl_mcp.go ListServers,
// ListServerVersions, GetServerVersion; database/queries/servers.sql ListServers,
// GetServerVersion): every read first looks the registry up and passes its access gate
// (impl_common.go lookupRegistryIDWithGate -> claims_filter.go validateClaimsVisibleBytes):
// an unknown registry is 404 "registry not found"; with authz on, a token that is not
// super-admin must cover the registry's claims (`registries[].claims`; AND across keys, one
// value of each is enough), and a registry without claims is covered by no one (default-
// deny, validateClaimsWith), else 403 "forbidden: insufficient claims for registry". Then
// entries whose claims the token does not cover are left out (newClaimsFilterWith).
// `version` (list) and the path's {version} match a version exactly or, as `latest`, the
// name's latest pointer. The pointer (impl_mcp.go insertServerData, impl_common.go
// rePointLatestVersionIfNeeded, internal/versions/compare.go IsNewerVersion) moves to a
// published version only when it is newer than the pointed one (semver as Masterminds
// parses it, else string order) and, when the pointed version is deleted, to the highest
// remaining one. A name without versions reads as an empty list, a missing version as 404
// "not found".
//
// Writes (internal/api/v1/entries.go publishEntry, deletePublishedEntry, getEntryClaims,
// updateEntryClaims; impl_mcp.go PublishServerVersion, executePublishTransaction,
// insertServerVersionData, executeDeleteTransaction; impl_entries.go GetEntryClaims,
// UpdateEntryClaims; claims_filter.go): a repeated name+version is 409 "version already
// exists"; claims belong to the name and a later publish must bring equal ones (409
// "claims mismatch"); with authz on, claims are required (400), must be within the token's
// claims (403 "insufficient claims", AND within arrays), and the token must cover the
// managed source's claims (visibility; none = super-admin only). DELETE removes the version
// for good (the last one takes the name and its claims along), 404 when it is not there.
// GET .../claims answers {"claims": {...}} ({} when none), gated by visibility like DELETE.
// Errors are `{"error": "..."}`; 401 carries WWW-Authenticate.
//
// What it stores and returns is what the server's helperToServer (internal/service/db/
// types.go) returns: `_meta` keeps only publisher-provided (whole), icons are dropped,
// `repository` is kept (url, source, id, subfolder), remotes come back ordered by (type,
// url) (bytewise here; the server uses the database collation) without `variables`, and
// v0.1 answers carry an empty `_meta` (no status, no isLatest). Not modelled: other sources
// and shadowing, `updated_since`, skills and plugins (their names read as unknown), the
// order the server gives packages (by version, descending), the `_meta` size limit.
//
// Fault switches for the client's tests: `failNext` answers the next N requests with a
// status (503, 429 with Retry-After ...) before doing anything; `loseNextAnswers` does the
// work of the next N requests and then closes the connection without answering.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Claims = Record<string, string | string[]>;

export interface StandInIdentity {
  /** The token's claims (what a JWT would carry). */
  claims?: Claims;
  /** May publish and delete (the `manageEntries` role; default true). */
  manageEntries?: boolean;
  /** `superAdmin` bypasses every claims check. */
  superAdmin?: boolean;
}

export interface ToolHiveStandInOptions {
  /** Bearer tokens it accepts (`auth.mode: oauth`); without: `auth.mode: anonymous`, no token needed. */
  tokens?: Record<string, StandInIdentity>;
  /** `auth.authz` configured: roles, claims required on publish, claims subset and visibility rules. */
  authz?: boolean;
  /** Claims of the managed source (with authz, a publisher must be able to see them). */
  managedSourceClaims?: Claims;
  /** Registries that include the managed source (default ["default"]). */
  registries?: string[];
  /**
   * Claims of registries by name (`registries[].claims`). With authz on, a token that is
   * not super-admin reads a registry only when it covers its claims; a registry without
   * claims is readable by super-admins only. Default none.
   */
  registryClaims?: Record<string, Claims>;
  /** Registries that exist but do not include the managed source (they read as empty). */
  registriesWithoutManagedSource?: string[];
  /**
   * Top-level server.json fields (e.g. `title`) it does not keep, beyond what the real server
   * drops: a lossier registry, for the publisher's "registry that does not keep what it was
   * given" cases (publishing.md §5). Default none.
   */
  dropFields?: string[];
}

export interface StoredVersion {
  server: Record<string, unknown>;
  publishedAt: string;
}

export interface StoredEntry {
  claims: Claims | undefined;
  versions: Map<string, StoredVersion>;
  /** The latest pointer; without it (an entry a test put in), the highest version. */
  latest?: string;
}

export interface SeenRequest {
  method: string;
  path: string;
  authorization?: string;
  body: string;
}

export interface ToolHiveStandIn {
  url: string;
  /** Every request, in order. */
  readonly requests: SeenRequest[];
  /** What the managed source holds, by name. */
  readonly entries: Map<string, StoredEntry>;
  /** Claims of registries by name (from `registryClaims`); change it to change the config. */
  readonly registryClaims: Map<string, Claims>;
  /** Answer the next `count` requests with `status` (and Retry-After) without doing them. */
  failNext(count: number, status: number, retryAfter?: string): void;
  /** Do the next `count` requests, then close their connections without an answer. */
  loseNextAnswers(count: number): void;
  close(): Promise<void>;
}

const SCHEMA_URL = 'https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json';
const PUBLISHER_PROVIDED = 'io.modelcontextprotocol.registry/publisher-provided';
const NAMESPACE = /^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?$/;
const NAME_PART = /^[a-zA-Z0-9]([a-zA-Z0-9._-]*[a-zA-Z0-9])?$/;

class HttpFailure extends Error {
  readonly status: number;
  readonly headers: Record<string, string>;
  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

/** validators.ValidateServerName: exactly one `/`, pattern per part, 3-200 characters. */
export function serverNameProblem(name: string): string | undefined {
  const parts = name.split('/');
  if (parts.length !== 2) return "server name must contain exactly one '/' separator";
  if (name.length < 3 || name.length > 200) return 'server name must be 3 to 200 characters long';
  if (!NAMESPACE.test(parts[0]!)) return `namespace '${parts[0]}' is invalid`;
  if (!NAME_PART.test(parts[1]!)) return `name '${parts[1]}' is invalid`;
  return undefined;
}

const values = (value: string | string[]) => (Array.isArray(value) ? value : [value]);

/** claimsMatch: AND across keys; within arrays all of them (contain) or any of them (visible). */
function claimsMatch(caller: Claims, record: Claims, within: 'contain' | 'visible'): boolean {
  return Object.entries(record).every(([key, value]) => {
    const have = caller[key];
    if (have === undefined) return false;
    const required = values(value);
    if (required.length === 0) return true;
    const held = new Set(values(have));
    return within === 'contain' ? required.every((v) => held.has(v)) : required.some((v) => held.has(v));
  });
}

function claimsEqual(a: Claims | undefined, b: Claims | undefined): boolean {
  const emptyA = a === undefined || Object.keys(a).length === 0;
  const emptyB = b === undefined || Object.keys(b).length === 0;
  if (emptyA || emptyB) return emptyA === emptyB;
  return claimsMatch(a!, b!, 'contain') && claimsMatch(b!, a!, 'contain');
}

function claimValuesProblem(claims: unknown): string | undefined {
  if (claims === undefined || claims === null) return undefined;
  if (typeof claims !== 'object' || Array.isArray(claims)) return 'claims must be an object';
  for (const [key, value] of Object.entries(claims)) {
    if (typeof value === 'string' || (Array.isArray(value) && value.every((v) => typeof v === 'string'))) continue;
    return `claim "${key}": value must be a string or array of strings`;
  }
  return undefined;
}

interface LooseSemver {
  core: [bigint, bigint, bigint];
  prerelease: string[];
}

/** A version as Masterminds/semver's NewVersion reads it: `v`, 1 to 3 numbers, prerelease, metadata. */
function looseSemver(version: string): LooseSemver | undefined {
  const match = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/.exec(version);
  if (!match) return undefined;
  const prerelease = match[4] === undefined ? [] : match[4].split('.');
  if (prerelease.some((id) => /^0\d+$/.test(id))) return undefined;
  return { core: [BigInt(match[1]!), BigInt(match[2] ?? 0), BigInt(match[3] ?? 0)], prerelease };
}

function comparePrerelease(a: string[], b: string[]): number {
  if (a.length === 0 || b.length === 0) return a.length === b.length ? 0 : a.length === 0 ? 1 : -1;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const [x, y] = [a[i]!, b[i]!];
    const [numX, numY] = [/^\d+$/.test(x), /^\d+$/.test(y)];
    const order = numX && numY ? (BigInt(x) < BigInt(y) ? -1 : BigInt(x) > BigInt(y) ? 1 : 0) : numX !== numY ? (numX ? -1 : 1) : x < y ? -1 : x > y ? 1 : 0;
    if (order !== 0) return order;
  }
  return Math.sign(a.length - b.length);
}

/** versions.IsNewerVersion: semver precedence when both parse, else string order. */
export function isNewerVersion(candidate: string, current: string): boolean {
  const [a, b] = [looseSemver(candidate), looseSemver(current)];
  if (!a || !b) return candidate > current;
  for (let i = 0; i < 3; i++) if (a.core[i] !== b.core[i]) return a.core[i]! > b.core[i]!;
  return comparePrerelease(a.prerelease, b.prerelease) > 0;
}

/** findHighestVersion over the versions in `ORDER BY version`. */
function highestVersion(versions: Iterable<string>): string | undefined {
  let best: string | undefined;
  for (const version of [...versions].sort()) if (best === undefined || isNewerVersion(version, best)) best = version;
  return best;
}

const latestOf = (entry: StoredEntry): string | undefined => (entry.latest !== undefined && entry.versions.has(entry.latest) ? entry.latest : highestVersion(entry.versions.keys()));

/** The `repository` helperToServer builds from the four columns it stored (empty ones left out). */
function storedRepository(repository: unknown): Record<string, string> | undefined {
  if (typeof repository !== 'object' || repository === null || Array.isArray(repository)) return undefined;
  const given = repository as Record<string, unknown>;
  const kept: Record<string, string> = {};
  for (const key of ['url', 'source', 'id', 'subfolder']) if (typeof given[key] === 'string' && given[key] !== '') kept[key] = given[key] as string;
  return kept;
}

/** helperToServer: the document as the server returns it. */
function storedDocument(server: Record<string, unknown>): Record<string, unknown> {
  const remotes = ((server['remotes'] as { type: string; url: string; headers?: unknown[] }[] | undefined) ?? [])
    .map((remote) => ({ type: remote.type, url: remote.url, ...(Array.isArray(remote.headers) && remote.headers.length > 0 ? { headers: remote.headers } : {}) }))
    .sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
  const provided = ((server['_meta'] as Record<string, unknown> | undefined)?.[PUBLISHER_PROVIDED] as Record<string, unknown> | undefined) ?? {};
  const document: Record<string, unknown> = { $schema: SCHEMA_URL, name: server['name'], description: server['description'] ?? '' };
  if (typeof server['title'] === 'string' && server['title'] !== '') document['title'] = server['title'];
  const repository = storedRepository(server['repository']);
  if (repository) document['repository'] = repository;
  document['version'] = server['version'];
  if (typeof server['websiteUrl'] === 'string' && server['websiteUrl'] !== '') document['websiteUrl'] = server['websiteUrl'];
  if (Array.isArray(server['packages']) && server['packages'].length > 0) document['packages'] = server['packages'];
  if (remotes.length > 0) document['remotes'] = remotes;
  document['_meta'] = Object.keys(provided).length > 0 ? { [PUBLISHER_PROVIDED]: JSON.parse(JSON.stringify(provided)) } : {};
  return document;
}

function decodeSegment(segment: string, what: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    throw new HttpFailure(400, `invalid URL encoding in ${what}`);
  }
  if (decoded.trim() === '') throw new HttpFailure(400, `${what} cannot be empty`);
  if (/\s/.test(decoded)) throw new HttpFailure(400, `${what} cannot contain whitespace`);
  return decoded;
}

export async function startToolHiveStandIn(options: ToolHiveStandInOptions = {}): Promise<ToolHiveStandIn> {
  const entries = new Map<string, StoredEntry>();
  const requests: SeenRequest[] = [];
  const registries = new Set(options.registries ?? ['default']);
  const emptyRegistries = new Set(options.registriesWithoutManagedSource ?? []);
  const registryClaims = new Map(Object.entries(options.registryClaims ?? {}));
  const faults: { status: number; retryAfter?: string }[] = [];
  let lose = 0;

  /** The caller's identity: undefined in anonymous mode. */
  function identify(req: IncomingMessage): StandInIdentity | undefined {
    if (!options.tokens) return undefined;
    const header = req.headers.authorization ?? '';
    const match = /^Bearer (\S+)$/.exec(header);
    const www = (error: string, description: string) => ({ 'www-authenticate': `Bearer realm="stand-in", error="${error}", error_description="${description}"` });
    if (!match) throw new HttpFailure(401, 'missing or malformed authorization header', www('invalid_request', 'missing or malformed authorization header'));
    const identity = options.tokens[match[1]!];
    if (!identity) throw new HttpFailure(401, 'token validation failed', www('invalid_token', 'token validation failed'));
    return identity;
  }

  /** The claims the service layer gates on: none when authz is off, anonymous or super-admin. */
  function gateClaims(identity: StandInIdentity | undefined): Claims | undefined {
    if (!options.authz || !identity || identity.superAdmin) return undefined;
    return identity.claims ?? {};
  }

  function requireManageEntries(identity: StandInIdentity | undefined): void {
    if (options.authz && identity && !identity.superAdmin && identity.manageEntries === false) throw new HttpFailure(403, 'forbidden: insufficient permissions');
  }

  function visible(identity: StandInIdentity | undefined, claims: Claims | undefined): boolean {
    const caller = gateClaims(identity);
    if (caller === undefined || Object.keys(caller).length === 0) return true;
    return claims !== undefined && Object.keys(claims).length > 0 && claimsMatch(caller, claims, 'visible');
  }

  function gateVisible(caller: Claims | undefined, claims: Claims | undefined): void {
    if (caller === undefined) return;
    if (claims === undefined || Object.keys(claims).length === 0) throw new HttpFailure(403, 'insufficient claims: resource has no claims');
    if (!claimsMatch(caller, claims, 'visible')) throw new HttpFailure(403, 'insufficient claims: caller claims do not cover resource claims');
  }

  function gateSubset(caller: Claims | undefined, claims: Claims | undefined): void {
    if (caller === undefined) return;
    if (claims === undefined || Object.keys(claims).length === 0) throw new HttpFailure(403, 'insufficient claims: resource has no claims');
    if (!claimsMatch(caller, claims, 'contain')) throw new HttpFailure(403, 'insufficient claims: caller claims do not cover resource claims');
  }

  const response = (stored: StoredVersion) => ({ server: stored.server, _meta: {} });

  function visibleVersions(identity: StandInIdentity | undefined): { name: string; version: string; latest: boolean; stored: StoredVersion }[] {
    const all: { name: string; version: string; latest: boolean; stored: StoredVersion }[] = [];
    for (const [name, entry] of entries) {
      if (!visible(identity, entry.claims)) continue;
      const latest = latestOf(entry);
      for (const [version, stored] of entry.versions) all.push({ name, version, latest: version === latest, stored });
    }
    return all.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.version < b.version ? -1 : a.version > b.version ? 1 : 0));
  }

  /** lookupRegistryIDWithGate: the registry exists and the token covers its claims; does it show the managed source? */
  function openRegistry(identity: StandInIdentity | undefined, registry: string): boolean {
    if (!registries.has(registry) && !emptyRegistries.has(registry)) throw new HttpFailure(404, 'registry not found');
    const caller = gateClaims(identity);
    const claims = registryClaims.get(registry);
    if (caller !== undefined && (claims === undefined || Object.keys(claims).length === 0 || !claimsMatch(caller, claims, 'visible'))) {
      throw new HttpFailure(403, 'forbidden: insufficient claims for registry');
    }
    return registries.has(registry);
  }

  /** `version` as servers.sql matches it: exactly, or `latest` for the latest pointer. */
  const versionMatches = (wanted: string, version: string, latest: boolean) => version === wanted || (wanted === 'latest' && latest);

  function serverName(raw: string): string {
    const name = decodeSegment(raw, 'serverName');
    const problem = serverNameProblem(name);
    if (problem) throw new HttpFailure(400, `invalid server name format: ${problem}`);
    return name;
  }

  function read(identity: StandInIdentity | undefined, rawRegistry: string, rest: string[], query: URLSearchParams): unknown {
    if (rest.length === 1 && rest[0] === 'servers') {
      const registry = decodeSegment(rawRegistry, 'registryName');
      const limitText = query.get('limit');
      if (limitText !== null && limitText !== '' && !/^[-+]?\d+$/.test(limitText)) throw new HttpFailure(400, 'Invalid limit parameter: must be an integer');
      const limit = Math.min(limitText === null || limitText === '' ? 30 : Number(limitText), 1000);
      const search = query.get('search')?.toLowerCase();
      const version = query.get('version') || undefined;
      const shows = openRegistry(identity, registry);
      let after: [string, string] | undefined;
      const cursor = query.get('cursor');
      if (cursor) {
        try {
          after = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
        } catch {
          throw new HttpFailure(500, 'internal server error');
        }
      }
      const matching = (shows ? visibleVersions(identity) : []).filter(({ name, version: held, latest, stored }) => {
        if (after && (name < after[0] || (name === after[0] && held <= after[1]))) return false;
        if (version !== undefined && !versionMatches(version, held, latest)) return false;
        if (!search) return true;
        const text = [name, stored.server['title'], stored.server['description']].filter((t): t is string => typeof t === 'string');
        return text.some((t) => t.toLowerCase().includes(search));
      });
      const page = matching.slice(0, limit);
      const more = matching.length > limit;
      const last = page.at(-1);
      const nextCursor = more && last ? Buffer.from(JSON.stringify([last.name, last.version])).toString('base64url') : undefined;
      return { servers: page.map(({ stored }) => response(stored)), metadata: { ...(nextCursor ? { nextCursor } : {}), count: page.length } };
    }
    if (rest[0] === 'servers' && (rest.length === 3 || rest.length === 4) && rest[2] === 'versions') {
      const registry = decodeSegment(rawRegistry, 'registryName');
      const name = serverName(rest[1]!);
      const wanted = rest.length === 4 ? decodeSegment(rest[3]!, 'version') : undefined;
      const entry = openRegistry(identity, registry) ? entries.get(name) : undefined;
      const shown = entry && visible(identity, entry.claims) ? entry : undefined;
      if (wanted === undefined) {
        const versions = [...(shown?.versions.values() ?? [])].sort((a, b) => (String(a.server['version']) < String(b.server['version']) ? -1 : 1));
        return { servers: versions.map(response), metadata: { count: versions.length } };
      }
      const latest = shown ? latestOf(shown) : undefined;
      const found = [...(shown?.versions.entries() ?? [])].find(([version]) => versionMatches(wanted, version, version === latest));
      if (!found) throw new HttpFailure(404, 'not found');
      return response(found[1]);
    }
    throw new HttpFailure(404, '404 page not found');
  }

  function publish(identity: StandInIdentity | undefined, text: string): unknown {
    requireManageEntries(identity);
    let body: { server?: Record<string, unknown>; skill?: unknown; plugin?: unknown; claims?: Claims };
    try {
      body = JSON.parse(text) as typeof body;
    } catch (error) {
      throw new HttpFailure(400, `invalid request body: ${(error as Error).message}`);
    }
    const given = [body.server, body.skill, body.plugin].filter((part) => part !== undefined && part !== null).length;
    if (given !== 1) throw new HttpFailure(400, "exactly one of 'server', 'skill', or 'plugin' must be provided");
    if (!body.server) throw new HttpFailure(400, 'the stand-in publishes servers only');
    const claims = body.claims ?? undefined;
    if (options.authz && (!claims || Object.keys(claims).length === 0)) throw new HttpFailure(400, 'claims are required when authorization is enabled');
    const name = String(body.server['name'] ?? '');
    const version = String(body.server['version'] ?? '');
    if (serverNameProblem(name)) throw new HttpFailure(400, `invalid server name: ${name}`);
    const caller = gateClaims(identity);
    gateSubset(caller, claims);
    gateVisible(caller, options.managedSourceClaims);
    const entry = entries.get(name);
    if (entry) {
      if (!claimsEqual(claims, entry.claims)) throw new HttpFailure(409, 'claims mismatch: claims do not match existing entry');
      if (entry.versions.has(version)) throw new HttpFailure(409, `version already exists: ${name}@${version}`);
    }
    const stored: StoredVersion = { server: storedDocument(body.server), publishedAt: new Date().toISOString() };
    for (const field of options.dropFields ?? []) delete stored.server[field];
    const target: StoredEntry = entry ?? { claims: claims && Object.keys(claims).length > 0 ? claims : undefined, versions: new Map() };
    const latest = latestOf(target);
    target.versions.set(version, stored);
    target.latest = latest === undefined || isNewerVersion(version, latest) ? version : latest;
    entries.set(name, target);
    return stored.server;
  }

  const ENTRY_TYPES = ['server', 'skill', 'plugin'];

  /** The {type}/{name} of a /v1/entries route, after the manageEntries role gate; only servers are held. */
  function entryOf(identity: StandInIdentity | undefined, rawType: string, rawName: string): { type: string; name: string; entry: StoredEntry | undefined } {
    requireManageEntries(identity);
    const type = decodeSegment(rawType, 'type');
    const name = decodeSegment(rawName, 'name');
    return { type, name, entry: type === 'server' ? entries.get(name) : undefined };
  }

  /** WithEntryType's refusal, as the claims handlers report it. */
  function claimsEntryType(type: string): void {
    if (!ENTRY_TYPES.includes(type)) throw new HttpFailure(400, 'invalid option: invalid entry type: must be "server", "skill", or "plugin"');
  }

  function remove(identity: StandInIdentity | undefined, rawType: string, rawName: string, rawVersion: string): void {
    const { type, name, entry } = entryOf(identity, rawType, rawName);
    const version = decodeSegment(rawVersion, 'version');
    if (!ENTRY_TYPES.includes(type)) throw new HttpFailure(400, "unsupported entry type: must be 'server', 'skill', or 'plugin'");
    if (!entry) throw new HttpFailure(404, `not found: ${name}@${version}`);
    gateVisible(gateClaims(identity), entry.claims);
    if (!entry.versions.delete(version)) throw new HttpFailure(404, `not found: ${name}@${version}`);
    if (entry.versions.size === 0) entries.delete(name);
    else if (entry.latest === version) entry.latest = highestVersion(entry.versions.keys());
  }

  function readClaims(identity: StandInIdentity | undefined, rawType: string, rawName: string): unknown {
    const { type, name, entry } = entryOf(identity, rawType, rawName);
    claimsEntryType(type);
    if (!entry) throw new HttpFailure(404, `not found: ${name}`);
    gateVisible(gateClaims(identity), entry.claims);
    return { claims: entry.claims ?? {} };
  }

  function replaceClaims(identity: StandInIdentity | undefined, rawType: string, rawName: string, text: string): void {
    const { type, name, entry } = entryOf(identity, rawType, rawName);
    let body: { claims?: Claims };
    try {
      body = JSON.parse(text) as typeof body;
    } catch (error) {
      throw new HttpFailure(400, `invalid request body: ${(error as Error).message}`);
    }
    claimsEntryType(type);
    if (claimValuesProblem(body.claims)) throw new HttpFailure(500, 'failed to update entry claims');
    const caller = gateClaims(identity);
    gateSubset(caller, body.claims);
    if (!entry) throw new HttpFailure(404, `not found: ${name}`);
    gateVisible(caller, entry.claims);
    entry.claims = body.claims && Object.keys(body.claims).length > 0 ? body.claims : undefined;
  }

  function route(req: IncomingMessage, text: string): { status: number; body?: unknown } {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    // Segments stay encoded until each handler decodes its own (chi routes on the raw path).
    const segments = url.pathname.split('/').filter(Boolean);
    if (req.method === 'GET' && segments.length === 1 && segments[0] === 'health') return { status: 200, body: { status: 'ok' } };
    const identity = identify(req);
    if (segments[0] === 'registry' && segments[2] === 'v0.1' && req.method === 'GET') {
      return { status: 200, body: read(identity, segments[1] ?? '', segments.slice(3), url.searchParams) };
    }
    if (segments[0] === 'v1' && segments[1] === 'entries') {
      if (segments.length === 2 && req.method === 'POST') return { status: 201, body: publish(identity, text) };
      if (segments.length === 6 && segments[4] === 'versions' && req.method === 'DELETE') {
        remove(identity, segments[2]!, segments[3]!, segments[5]!);
        return { status: 204 };
      }
      if (segments.length === 5 && segments[4] === 'claims' && req.method === 'GET') return { status: 200, body: readClaims(identity, segments[2]!, segments[3]!) };
      if (segments.length === 5 && segments[4] === 'claims' && req.method === 'PUT') {
        replaceClaims(identity, segments[2]!, segments[3]!, text);
        return { status: 204 };
      }
    }
    throw new HttpFailure(404, '404 page not found');
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://stand-in');
      requests.push({ method: req.method ?? '', path: `${url.pathname}${url.search}`, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}), body: text });
      const fault = faults.shift();
      if (fault) {
        res.writeHead(fault.status, { 'content-type': 'application/json', ...(fault.retryAfter ? { 'retry-after': fault.retryAfter } : {}) });
        res.end(JSON.stringify({ error: fault.status === 429 ? 'too many requests' : 'service unavailable' }));
        return;
      }
      let status: number;
      let body: unknown;
      let headers: Record<string, string> = {};
      try {
        ({ status, body } = route(req, text));
      } catch (error) {
        if (!(error instanceof HttpFailure)) throw error;
        status = error.status;
        body = { error: error.message };
        headers = error.headers;
      }
      if (lose > 0) {
        lose--;
        res.destroy();
        return;
      }
      if (body === undefined) res.writeHead(status, headers).end();
      else res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(`${JSON.stringify(body)}\n`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    requests,
    entries,
    registryClaims,
    failNext(count, status, retryAfter) {
      for (let i = 0; i < count; i++) faults.push({ status, ...(retryAfter === undefined ? {} : { retryAfter }) });
    },
    loseNextAnswers(count) {
      lose += count;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
