// The upstream MCP registry API v0.1 (research mcp-registry.md §2): list and read versions
// (deleted ones included), publish, change a version's status. Errors arrive as
// problem+json and leave as one line; 429, 5xx and transport failures are retried a few
// times with capped, jittered back-off that honours Retry-After, then reported as
// retryable so the reconcile loop tries again later; other 4xx are reported at once
// (the HTTP exchange and its retries are ../http.ts, shared with the ToolHive client).

import type { ServerEntry } from '../../planner/server-entry.ts';
import { RegistryError, type EntryStatus, type RegistryClient, type RegistryVersion, type RequestOptions, type StatusOptions } from '../client.ts';
import { RegistryHttp, type RegistryHttpOptions } from '../http.ts';
import { versionFromResponse as toVersion } from '../server-response.ts';
import { jwtPayload, tokenFromFile, type Token } from '../token.ts';
import { exchangeRequest, type RegistryAuthConfig } from './auth.ts';

// Shared with the ToolHive client (../http.ts); exported here as before.
export { problemLine, retryAfterSeconds } from '../http.ts';

const PAGE_SIZE = 100;

export interface UpstreamClientOptions extends RegistryHttpOptions {
  auth: RegistryAuthConfig;
  /** Refresh the registry JWT this long before it expires (default 60 s). */
  refreshBeforeMs?: number;
}

export class UpstreamRegistryClient implements RegistryClient {
  readonly flavor = 'upstream';
  readonly statusChanges = true;
  readonly baseUrl: string;
  private readonly options: UpstreamClientOptions;
  private readonly http: RegistryHttp;
  private token: Token | undefined;
  private exchanging: Promise<Token> | undefined;

  constructor(options: UpstreamClientOptions) {
    this.options = options;
    this.http = new RegistryHttp(options);
    this.baseUrl = this.http.baseUrl;
  }

  async listByPrefix(prefix: string, options: RequestOptions = {}): Promise<RegistryVersion[]> {
    if (prefix.trim().length < 3) throw new RegistryError('list', `refusing to list registry names by the prefix ${JSON.stringify(prefix)}: at least 3 characters are needed`, { retryable: false });
    const versions: RegistryVersion[] = [];
    let cursor: string | undefined;
    do {
      const query = new URLSearchParams({ search: prefix, include_deleted: 'true', limit: String(PAGE_SIZE) });
      if (cursor) query.set('cursor', cursor);
      const page = (await this.request('list', 'GET', `/v0.1/servers?${query}`, undefined, options)) as { servers?: unknown[]; metadata?: { nextCursor?: string } };
      for (const raw of page.servers ?? []) {
        const version = toVersion(raw as never);
        if (version.server?.name?.startsWith(prefix)) versions.push(version);
      }
      cursor = page.metadata?.nextCursor || undefined;
    } while (cursor);
    return versions;
  }

  async versionsOf(name: string, options: RequestOptions = {}): Promise<RegistryVersion[]> {
    try {
      const list = (await this.request('versions', 'GET', `/v0.1/servers/${encodeURIComponent(name)}/versions?include_deleted=true`, undefined, options)) as { servers?: unknown[] };
      return (list.servers ?? []).map((raw) => toVersion(raw as never));
    } catch (error) {
      if (error instanceof RegistryError && error.status === 404) return [];
      throw error;
    }
  }

  async publish(entry: ServerEntry, options: RequestOptions = {}): Promise<RegistryVersion> {
    return toVersion((await this.request('publish', 'POST', '/v0.1/publish', entry, options, true, `${entry.name}@${entry.version}`)) as never);
  }

  async setStatus(name: string, version: string, status: EntryStatus, options: StatusOptions = {}): Promise<RegistryVersion> {
    const path = `/v0.1/servers/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}/status`;
    const body = options.message ? { status, statusMessage: [...options.message].slice(0, 500).join('') } : { status };
    return toVersion((await this.request('status', 'PATCH', path, body, options, true, `${name}@${version} -> ${status}`)) as never);
  }

  async publishPatterns(options: RequestOptions = {}): Promise<string[] | undefined> {
    const token = await this.currentToken(options);
    const permissions = jwtPayload(token.value)?.['permissions'];
    if (!Array.isArray(permissions)) return undefined;
    return permissions.filter((p) => p?.action === 'publish' && typeof p.resource === 'string').map((p) => p.resource as string);
  }

  private async currentToken(options: RequestOptions, force = false): Promise<Token> {
    const refreshBefore = this.options.refreshBeforeMs ?? 60_000;
    if (!force && this.token && this.token.expiresAt - refreshBefore > Date.now()) return this.token;
    this.exchanging ??= this.exchange(options).finally(() => (this.exchanging = undefined));
    this.token = await this.exchanging;
    return this.token;
  }

  private async exchange(options: RequestOptions): Promise<Token> {
    const { auth } = this.options;
    if (auth.mode === 'token') return tokenFromFile(auth.tokenFile!);
    const request = exchangeRequest(auth)!;
    const answer = (await this.send('auth', 'POST', request.path, request.body, options, undefined, 'login')) as { registry_token?: string; expires_at?: number };
    if (!answer.registry_token) throw new RegistryError('auth', `login at ${this.baseUrl}${request.path} returned no registry_token`, { retryable: true });
    this.http.logger.debug({ mode: auth.mode, expiresAt: answer.expires_at }, 'registry login');
    return { value: answer.registry_token, expiresAt: typeof answer.expires_at === 'number' ? answer.expires_at * 1000 : Date.now() + 5 * 60_000 };
  }

  /** A request with auth when `authorized`: one fresh token after a 401, never a loop. */
  private async request(operation: string, method: string, path: string, body: unknown, options: RequestOptions, authorized = false, subject?: string): Promise<unknown> {
    if (!authorized) return this.send(operation, method, path, body, options, undefined, subject);
    const token = await this.currentToken(options);
    try {
      return await this.send(operation, method, path, body, options, token.value, subject);
    } catch (error) {
      if (!(error instanceof RegistryError) || error.status !== 401) throw error;
      const fresh = await this.currentToken(options, true);
      return this.send(operation, method, path, body, options, fresh.value, subject);
    }
  }

  private send(operation: string, method: string, path: string, body: unknown, options: RequestOptions, token: string | undefined, subject?: string): Promise<unknown> {
    return this.http.send({ operation, method, path, body, token, subject }, options);
  }
}
