// A stand-in for the ToolHive registry server (stacklok/toolhive-registry-server), which
// cannot be built here: the Go module proxy refuses the module (research toolhive.md §4.5).
// It answers only the routes the ToolHive client uses, the way the server's code does at
// commit 534eb23 (the snapshot the research read) and as its published API describes them
// (docs/thv-registry-api/swagger.yaml, docs/authentication.md; research §4.1, §4.2, §4.4):
//
//   GET    /registry/{registry}/v0.1/servers                ?search ?limit ?cursor
//   GET    /registry/{registry}/v0.1/servers/{name}/versions
//   GET    /registry/{registry}/v0.1/servers/{name}/versions/{version}   (exact versions only)
//   POST   /v1/entries                                      {server, claims}
//   DELETE /v1/entries/server/{name}/versions/{version}
//   PUT    /v1/entries/server/{name}/claims                 {claims}
//
// Publish rules (internal/api/v1/entries.go, internal/service/db/impl_mcp.go, claims_filter.go):
// a repeated name+version is 409 "version already exists"; claims belong to the name and a
// later publish must bring equal ones (409 "claims mismatch"); with authz on, claims are
// required (400) and must be within the caller's token claims (403 "insufficient claims");
// DELETE removes the version for good (the last one takes the name and its claims along),
// 404 when it is not there. Errors are `{"error": "..."}`; 401 carries WWW-Authenticate.
//
// What it stores and returns is what the server's helperToServer returns: `_meta` keeps
// only publisher-provided (whole), icons are dropped, remotes come back ordered by (type,
// url) (bytewise here; the server uses the database collation), and v0.1 answers carry an
// empty `_meta` (no status, no isLatest). Not modelled: other sources and shadowing,
// registry claims, `latest`, `updated_since`, skills and plugins, the `_meta` size limit.
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

/** helperToServer: the document as the server returns it. */
function storedDocument(server: Record<string, unknown>): Record<string, unknown> {
  const remotes = ((server['remotes'] as { type: string; url: string; headers?: unknown[] }[] | undefined) ?? [])
    .map((remote) => ({ type: remote.type, url: remote.url, ...(Array.isArray(remote.headers) && remote.headers.length > 0 ? { headers: remote.headers } : {}) }))
    .sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
  const provided = ((server['_meta'] as Record<string, unknown> | undefined)?.[PUBLISHER_PROVIDED] as Record<string, unknown> | undefined) ?? {};
  const document: Record<string, unknown> = { $schema: SCHEMA_URL, name: server['name'], description: server['description'] ?? '' };
  if (typeof server['title'] === 'string' && server['title'] !== '') document['title'] = server['title'];
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

  function visibleVersions(identity: StandInIdentity | undefined): { name: string; version: string; stored: StoredVersion }[] {
    const all: { name: string; version: string; stored: StoredVersion }[] = [];
    for (const [name, entry] of entries) {
      if (!visible(identity, entry.claims)) continue;
      for (const [version, stored] of entry.versions) all.push({ name, version, stored });
    }
    return all.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.version < b.version ? -1 : a.version > b.version ? 1 : 0));
  }

  function read(identity: StandInIdentity | undefined, registry: string, rest: string[], query: URLSearchParams): unknown {
    if (!registries.has(registry) && !emptyRegistries.has(registry)) throw new HttpFailure(404, 'registry not found');
    const shows = registries.has(registry);
    if (rest.length === 1 && rest[0] === 'servers') {
      const limitText = query.get('limit');
      if (limitText !== null && !/^-?\d+$/.test(limitText)) throw new HttpFailure(400, 'Invalid limit parameter: must be an integer');
      const limit = Math.min(limitText === null ? 30 : Number(limitText), 1000);
      const search = query.get('search')?.toLowerCase();
      let after: [string, string] | undefined;
      const cursor = query.get('cursor');
      if (cursor) {
        try {
          after = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
        } catch {
          throw new HttpFailure(500, 'internal server error');
        }
      }
      const matching = (shows ? visibleVersions(identity) : []).filter(({ name, version, stored }) => {
        if (after && (name < after[0] || (name === after[0] && version <= after[1]))) return false;
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
    if (rest[0] === 'servers' && rest.length >= 3 && rest[2] === 'versions') {
      const name = decodeSegment(rest[1]!, 'serverName');
      const problem = serverNameProblem(name);
      if (problem) throw new HttpFailure(400, `invalid server name format: ${problem}`);
      const entry = shows ? entries.get(name) : undefined;
      const shown = entry && visible(identity, entry.claims) ? entry : undefined;
      if (rest.length === 3) {
        const versions = [...(shown?.versions.values() ?? [])].sort((a, b) => (String(a.server['version']) < String(b.server['version']) ? -1 : 1));
        return { servers: versions.map(response), metadata: { count: versions.length } };
      }
      if (rest.length === 4) {
        const version = decodeSegment(rest[3]!, 'version');
        const stored = shown?.versions.get(version);
        if (!stored) throw new HttpFailure(404, 'not found');
        return response(stored);
      }
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
    const target = entry ?? { claims: claims && Object.keys(claims).length > 0 ? claims : undefined, versions: new Map() };
    target.versions.set(version, stored);
    entries.set(name, target);
    return stored.server;
  }

  function entryOf(identity: StandInIdentity | undefined, rawType: string, rawName: string): { name: string; entry: StoredEntry | undefined } {
    requireManageEntries(identity);
    const type = decodeSegment(rawType, 'type');
    if (type !== 'server') throw new HttpFailure(400, "unsupported entry type: must be 'server', 'skill', or 'plugin'");
    const name = decodeSegment(rawName, 'name');
    return { name, entry: entries.get(name) };
  }

  function remove(identity: StandInIdentity | undefined, rawType: string, rawName: string, rawVersion: string): void {
    const { name, entry } = entryOf(identity, rawType, rawName);
    const version = decodeSegment(rawVersion, 'version');
    if (!entry) throw new HttpFailure(404, `not found: ${name}@${version}`);
    gateVisible(gateClaims(identity), entry.claims);
    if (!entry.versions.delete(version)) throw new HttpFailure(404, `not found: ${name}@${version}`);
    if (entry.versions.size === 0) entries.delete(name);
  }

  function replaceClaims(identity: StandInIdentity | undefined, rawType: string, rawName: string, text: string): void {
    const { name, entry } = entryOf(identity, rawType, rawName);
    let body: { claims?: Claims };
    try {
      body = JSON.parse(text) as typeof body;
    } catch (error) {
      throw new HttpFailure(400, `invalid request body: ${(error as Error).message}`);
    }
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
      return { status: 200, body: read(identity, decodeSegment(segments[1] ?? '', 'registryName'), segments.slice(3), url.searchParams) };
    }
    if (segments[0] === 'v1' && segments[1] === 'entries') {
      if (segments.length === 2 && req.method === 'POST') return { status: 201, body: publish(identity, text) };
      if (segments.length === 6 && segments[4] === 'versions' && req.method === 'DELETE') {
        remove(identity, segments[2]!, segments[3]!, segments[5]!);
        return { status: 204 };
      }
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
