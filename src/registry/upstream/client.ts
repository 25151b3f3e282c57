// The upstream MCP registry API v0.1 (research mcp-registry.md §2): list and read versions
// (deleted ones included), publish, change a version's status. Errors arrive as
// problem+json and leave as one line; 429, 5xx and transport failures are retried a few
// times with capped, jittered back-off that honours Retry-After, then reported as
// retryable so the reconcile loop tries again later; other 4xx are reported at once.

import { ExponentialBackoff } from '../../kubernetes/backoff.ts';
import { silentLogger, type Logger } from '../../observability/logger.ts';
import type { ServerEntry } from '../../planner/server-entry.ts';
import { ENTRY_STATUSES, RegistryError, type EntryStatus, type RegistryClient, type RegistryServer, type RegistryVersion, type RequestOptions } from '../client.ts';
import { exchangeRequest, jwtPayload, tokenFromFile, type RegistryAuthConfig, type Token } from './auth.ts';

const OFFICIAL_KEY = 'io.modelcontextprotocol.registry/official';
const PAGE_SIZE = 100;

export interface UpstreamClientOptions {
  baseUrl: string;
  auth: RegistryAuthConfig;
  logger?: Logger;
  /** Attempts per request for retryable failures (default 4). */
  maxAttempts?: number;
  /** Timeout of one HTTP request (default 15 s). */
  timeoutMs?: number;
  /** Back-off between attempts (default 500 ms doubling to 10 s, ±20 %); Retry-After wins, capped at maxRetryAfterMs. */
  backoff?: { initialMs?: number; maxMs?: number; jitter?: number };
  maxRetryAfterMs?: number;
  /** Refresh the registry JWT this long before it expires (default 60 s). */
  refreshBeforeMs?: number;
  /** Every HTTP request: operation (list|versions|publish|status|auth), outcome (ok|4xx|5xx|network), seconds. */
  onRequest?: (operation: string, outcome: string, seconds: number) => void;
  /** Waiting between attempts; tests replace it. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}

/** Seconds from a Retry-After header (seconds or an HTTP date). */
export function retryAfterSeconds(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, (at - now) / 1000);
}

/** One line from a problem+json body (or whatever the body is). */
export function problemLine(status: number, statusText: string, body: string): string {
  let text = body.trim();
  try {
    const problem = JSON.parse(body) as { title?: string; detail?: string; errors?: { message?: string; location?: string }[]; error?: string };
    const details = (problem.errors ?? []).map((e) => (e.location && !/^body$/.test(e.location) ? `${e.message} (${e.location})` : e.message)).filter(Boolean);
    text = [problem.detail ?? problem.error ?? problem.title, ...details].filter(Boolean).join(': ');
  } catch {
    // not JSON: keep the text
  }
  const line = `${status} ${statusText}${text ? `: ${text}` : ''}`.replace(/\s+/g, ' ');
  return line.length > 500 ? `${line.slice(0, 497)}...` : line;
}

function toVersion(raw: { server?: RegistryServer; _meta?: Record<string, unknown> }): RegistryVersion {
  const official = (raw._meta?.[OFFICIAL_KEY] ?? {}) as { status?: string; isLatest?: boolean; publishedAt?: string };
  const status = (ENTRY_STATUSES as readonly string[]).includes(official.status ?? '') ? (official.status as EntryStatus) : 'active';
  return { server: raw.server as RegistryServer, status, isLatest: official.isLatest === true, ...(official.publishedAt ? { publishedAt: official.publishedAt } : {}) };
}

export class UpstreamRegistryClient implements RegistryClient {
  readonly flavor = 'upstream';
  readonly baseUrl: string;
  private readonly options: UpstreamClientOptions;
  private readonly logger: Logger;
  private readonly sleep: NonNullable<UpstreamClientOptions['sleep']>;
  private token: Token | undefined;
  private exchanging: Promise<Token> | undefined;

  constructor(options: UpstreamClientOptions) {
    this.options = options;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.logger = options.logger ?? silentLogger();
    this.sleep = options.sleep ?? defaultSleep;
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

  async setStatus(name: string, version: string, status: EntryStatus, options: RequestOptions = {}): Promise<RegistryVersion> {
    const path = `/v0.1/servers/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}/status`;
    return toVersion((await this.request('status', 'PATCH', path, { status }, options, true, `${name}@${version} -> ${status}`)) as never);
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
    this.logger.debug({ mode: auth.mode, expiresAt: answer.expires_at }, 'registry login');
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

  /** One request with retries of retryable failures. */
  private async send(operation: string, method: string, path: string, body: unknown, options: RequestOptions, token: string | undefined, subject?: string): Promise<unknown> {
    const maxAttempts = this.options.maxAttempts ?? 4;
    const backoff = new ExponentialBackoff({ initialMs: 500, maxMs: 10_000, jitter: 0.2, ...this.options.backoff });
    const what = `${operation}${subject ? ` ${subject}` : ''}`;
    for (let attempt = 1; ; attempt++) {
      let error: RegistryError;
      try {
        return await this.once(operation, method, path, body, options, token, what);
      } catch (caught) {
        if (!(caught instanceof RegistryError) || options.signal?.aborted) throw caught;
        error = caught;
      }
      if (!error.retryable || attempt >= maxAttempts) throw error;
      const wait = Math.min(Math.max(backoff.next(), (error.retryAfterSeconds ?? 0) * 1000), this.options.maxRetryAfterMs ?? 60_000);
      this.logger.debug({ operation, attempt, retryInMs: wait, err: error.message }, 'registry request failed; retrying');
      await this.sleep(wait, options.signal);
    }
  }

  private async once(operation: string, method: string, path: string, body: unknown, options: RequestOptions, token: string | undefined, what: string): Promise<unknown> {
    const started = performance.now();
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 15_000);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers['authorization'] = `Bearer ${token}`;
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }), signal, redirect: 'error' });
    } catch (error) {
      this.options.onRequest?.(operation, 'network', (performance.now() - started) / 1000);
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const reason = timeout.aborted ? `timed out after ${this.options.timeoutMs ?? 15_000} ms` : (cause?.code ?? cause?.message ?? (error as Error).message);
      throw new RegistryError(operation, `${what}: ${this.baseUrl} unreachable: ${reason}`, { retryable: true, cause: error });
    }
    const text = await response.text().catch(() => '');
    this.options.onRequest?.(operation, response.ok ? 'ok' : `${Math.floor(response.status / 100)}xx`, (performance.now() - started) / 1000);
    if (response.ok) {
      try {
        return text ? JSON.parse(text) : {};
      } catch {
        throw new RegistryError(operation, `${what}: ${response.status} with a body that is not JSON`, { status: response.status, retryable: true });
      }
    }
    const retryable = response.status === 429 || response.status >= 500;
    const retryAfter = retryAfterSeconds(response.headers.get('retry-after'));
    let line = problemLine(response.status, response.statusText, text);
    if (token) line = line.split(token).join('<token>');
    throw new RegistryError(operation, `${what}: ${line}`, { status: response.status, retryable, ...(retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter }) });
  }
}
