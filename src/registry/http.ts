// The HTTP exchange every registry client shares: one JSON request, its failure as one
// line (problem+json, `{"error": ...}` or plain text), and retries of what may succeed
// later (429, 5xx, transport failures) with capped, jittered back-off that honours
// Retry-After. After the last attempt the error says whether the caller should try again
// later (`retryable`). A bearer token never reaches a message: it is cut out of error lines.

import { ExponentialBackoff } from '../kubernetes/backoff.ts';
import { silentLogger, type Logger } from '../observability/logger.ts';
import { RegistryError, type RequestOptions } from './client.ts';

export interface RegistryHttpOptions {
  baseUrl: string;
  logger?: Logger;
  /** Attempts per request for retryable failures (default 4). */
  maxAttempts?: number;
  /** Timeout of one HTTP request (default 15 s). */
  timeoutMs?: number;
  /** Back-off between attempts (default 500 ms doubling to 10 s, ±20 %); Retry-After wins, capped at maxRetryAfterMs. */
  backoff?: { initialMs?: number; maxMs?: number; jitter?: number };
  maxRetryAfterMs?: number;
  /** Every HTTP request: operation (the client's name for it), outcome (ok|4xx|5xx|network), seconds. */
  onRequest?: (operation: string, outcome: string, seconds: number) => void;
  /** Waiting between attempts; tests replace it. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** One request: `operation` names it in metrics and messages, `subject` (e.g. `name@version`) in messages. */
export interface HttpRequest {
  operation: string;
  method: string;
  path: string;
  body?: unknown;
  token?: string | undefined;
  subject?: string | undefined;
}

export function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
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

/** One line from a problem+json body, a `{"error": ...}` body, or whatever the body is. */
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

export class RegistryHttp {
  readonly baseUrl: string;
  readonly logger: Logger;
  private readonly options: RegistryHttpOptions;
  private readonly sleep: NonNullable<RegistryHttpOptions['sleep']>;

  constructor(options: RegistryHttpOptions) {
    this.options = options;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.logger = options.logger ?? silentLogger();
    this.sleep = options.sleep ?? defaultSleep;
  }

  /** The parsed JSON answer ({} for an empty body), after retrying what is retryable. */
  async send(request: HttpRequest, options: RequestOptions = {}): Promise<unknown> {
    const maxAttempts = this.options.maxAttempts ?? 4;
    const backoff = new ExponentialBackoff({ initialMs: 500, maxMs: 10_000, jitter: 0.2, ...this.options.backoff });
    const what = `${request.operation}${request.subject ? ` ${request.subject}` : ''}`;
    for (let attempt = 1; ; attempt++) {
      let error: RegistryError;
      try {
        return await this.once(request, options, what);
      } catch (caught) {
        if (!(caught instanceof RegistryError) || options.signal?.aborted) throw caught;
        error = caught;
      }
      if (!error.retryable || attempt >= maxAttempts) throw error;
      const wait = Math.min(Math.max(backoff.next(), (error.retryAfterSeconds ?? 0) * 1000), this.options.maxRetryAfterMs ?? 60_000);
      this.logger.debug({ operation: request.operation, attempt, retryInMs: wait, err: error.message }, 'registry request failed; retrying');
      await this.sleep(wait, options.signal);
    }
  }

  private async once(request: HttpRequest, options: RequestOptions, what: string): Promise<unknown> {
    const { operation, method, path, body, token } = request;
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
