// Plain JSON requests against the API server with the kubeconfig's credentials and TLS
// settings: GETs for discovery and paginated lists, writes for the few objects this
// product owns (its certificate Secret, its Lease, its webhook configurations). The generated clients turn objects into
// model classes (dates become Date objects); the caches keep objects as the API server
// returns them, so these requests go through client-node's HTTP layer and JSON.parse only.

import { HttpMethod, IsomorphicFetchHttpLibrary, RequestContext, type KubeConfig } from '@kubernetes/client-node';
import { timerDelay } from './timers.ts';

/** A non-2xx answer of the API server, with the Status it sent when there was one. */
export class ApiError extends Error {
  readonly statusCode: number;
  readonly reason: string | undefined;

  constructor(path: string, statusCode: number, body: string, method = 'GET') {
    const status = parseStatus(body);
    const detail = status?.message ?? (body.trim().slice(0, 200) || 'no body');
    super(`${method} ${path}: HTTP ${statusCode}${status?.reason ? ` ${status.reason}` : ''}: ${detail}`);
    this.name = 'ApiError';
    this.statusCode = statusCode;
    this.reason = status?.reason;
  }
}

export interface GetOptions {
  /** Aborts the request (the informer run ended, or the cache stopped). */
  signal?: AbortSignal;
  /** Gives up after this long; a list on a dead connection must not hang a run forever. */
  timeoutMs?: number;
}

const http = new IsomorphicFetchHttpLibrary();

// client-node's applySecurityAuthentication builds a new undici Agent for every request, so
// every request opened its own TLS connection (a fresh SecureContext with the CA parsed
// again) that lingered in an Agent nobody closes: hundreds of MB of RSS outside the V8 heap
// under churn (bench:soak, where Events are most of the writes). The credentials it sets as
// headers are still applied per request (tokens rotate); writes share a connection pool per
// KubeConfig and cluster. GETs keep a fresh connection each: a list must never be queued on
// a pooled connection that went silent (cluster-cache e2e, "watches that went silent"), and
// they are few (discovery, relists, one Lease read per retry period).
const dispatchers = new WeakMap<KubeConfig, Map<string, ReturnType<RequestContext['getDispatcher']>>>();

function shareDispatcher(kubeConfig: KubeConfig, request: RequestContext): void {
  const server = kubeConfig.getCurrentCluster()?.server ?? '';
  let byServer = dispatchers.get(kubeConfig);
  if (!byServer) dispatchers.set(kubeConfig, (byServer = new Map()));
  const shared = byServer.get(server);
  if (shared) request.setDispatcher(shared);
  else byServer.set(server, request.getDispatcher());
}

export async function getJson<T>(kubeConfig: KubeConfig, path: string, options: GetOptions = {}): Promise<T> {
  return requestJson<T>(kubeConfig, 'GET', path, undefined, options);
}

export type WriteMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface WriteOptions extends GetOptions {
  /** For PATCH: application/json-patch+json (default) or application/merge-patch+json. */
  contentType?: string;
}

const METHODS = { GET: HttpMethod.GET, POST: HttpMethod.POST, PUT: HttpMethod.PUT, PATCH: HttpMethod.PATCH, DELETE: HttpMethod.DELETE } as const;

export async function requestJson<T>(
  kubeConfig: KubeConfig,
  method: 'GET' | WriteMethod,
  path: string,
  body: unknown,
  options: WriteOptions = {},
): Promise<T> {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const request = new RequestContext(cluster.server + path, METHODS[method]);
  request.setHeaderParam('Accept', 'application/json');
  if (body !== undefined) {
    request.setHeaderParam('Content-Type', options.contentType ?? (method === 'PATCH' ? 'application/json-patch+json' : 'application/json'));
    request.setBody(JSON.stringify(body));
  }
  await kubeConfig.applySecurityAuthentication(request);
  if (method !== 'GET') shareDispatcher(kubeConfig, request);
  const signals = [options.signal, options.timeoutMs ? AbortSignal.timeout(timerDelay(options.timeoutMs)) : undefined].filter(
    (signal): signal is AbortSignal => signal !== undefined,
  );
  if (signals.length > 0) request.setSignal(AbortSignal.any(signals));
  const response = await http.send(request).toPromise();
  const text = await response.body.text();
  if (response.httpStatusCode < 200 || response.httpStatusCode >= 300) {
    throw new ApiError(path, response.httpStatusCode, text, method);
  }
  return JSON.parse(text) as T;
}

/** GET that answers undefined when the object does not exist (404). */
export async function getIfExists<T>(kubeConfig: KubeConfig, path: string, options: GetOptions = {}): Promise<T | undefined> {
  try {
    return await requestJson<T>(kubeConfig, 'GET', path, undefined, options);
  } catch (error) {
    if (error instanceof ApiError && error.statusCode === 404) return undefined;
    throw error;
  }
}

/** The HTTP status of an error from getJson or from client-node's Watch, if it has one. */
export function statusCodeOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { statusCode, code } = error as { statusCode?: unknown; code?: unknown };
  if (typeof statusCode === 'number') return statusCode;
  return typeof code === 'number' ? code : undefined;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    // undici reports connection failures as "fetch failed" with the real reason as cause.
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error && cause.message && cause.message !== error.message
      ? `${error.message}: ${cause.message}`
      : error.message;
  }
  return String(error);
}

function parseStatus(body: string): { message?: string; reason?: string } | undefined {
  try {
    const parsed = JSON.parse(body) as { kind?: string; message?: string; reason?: string };
    return parsed && parsed.kind === 'Status' ? parsed : undefined;
  } catch {
    return undefined;
  }
}
