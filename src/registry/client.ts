// What the publisher needs from a registry, whatever API it speaks: read every version of
// the names this owner can hold (deleted ones included: a retired name@version is never
// free again), publish a new version, change a version's status. One implementation per
// API (upstream MCP registry v0.1; ToolHive registry server v1).

import type { ServerEntry } from '../planner/server-entry.ts';

export const ENTRY_STATUSES = ['active', 'deprecated', 'deleted'] as const;
export type EntryStatus = (typeof ENTRY_STATUSES)[number];

/** A server.json document as a registry returns it (it may carry more than we publish). */
export interface RegistryServer {
  name: string;
  version: string;
  description?: string;
  remotes?: { type: string; url: string }[];
  _meta?: Record<string, unknown>;
  [field: string]: unknown;
}

/** One version of one name, as the registry holds it. */
export interface RegistryVersion {
  server: RegistryServer;
  status: EntryStatus;
  isLatest: boolean;
  /** RFC 3339; the registry orders non-semver versions by it. */
  publishedAt?: string;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

export interface StatusOptions extends RequestOptions {
  /** Why (the upstream registry's statusMessage, at most 500 characters). */
  message?: string;
}

export interface RegistryClient {
  /** `upstream` or `toolhive`. */
  readonly flavor: string;
  /** The registry's base URL, for logs and messages. */
  readonly baseUrl: string;
  /**
   * Every version (deleted included) of every name that starts with `prefix`, across all
   * pages. Reads only those names, never the whole registry.
   */
  listByPrefix(prefix: string, options?: RequestOptions): Promise<RegistryVersion[]>;
  /** Every version (deleted included) of one name; [] when the registry does not know it. */
  versionsOf(name: string, options?: RequestOptions): Promise<RegistryVersion[]>;
  /** Publish a new version (versions are immutable: the same name@version twice is refused). */
  publish(entry: ServerEntry, options?: RequestOptions): Promise<RegistryVersion>;
  /** Retire (`deleted`), deprecate or re-activate one version. */
  setStatus(name: string, version: string, status: EntryStatus, options?: StatusOptions): Promise<RegistryVersion>;
  /** The registry keeps a version's status (deprecated, active); false: every version it holds is active. */
  readonly statusChanges: boolean;
  /**
   * The name patterns the credentials may publish under (`com.example/*`, `io.x.*`, `*`), when
   * the client can tell (from the registry token's claims); undefined when it cannot.
   */
  publishPatterns(options?: RequestOptions): Promise<string[] | undefined>;
}

/**
 * A registry request that failed, with the registry's own reason in one line. `retryable`
 * is true for 429, 5xx and transport failures (the caller tries again later, with back-off);
 * false for other 4xx (reported once per change, not retried in a loop).
 */
export class RegistryError extends Error {
  readonly status: number | undefined;
  readonly retryable: boolean;
  /** Seconds the registry asked us to wait (Retry-After), when it said. */
  readonly retryAfterSeconds: number | undefined;
  readonly operation: string;

  constructor(operation: string, message: string, details: { status?: number; retryable: boolean; retryAfterSeconds?: number; cause?: unknown }) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'RegistryError';
    this.operation = operation;
    this.status = details.status;
    this.retryable = details.retryable;
    this.retryAfterSeconds = details.retryAfterSeconds;
  }
}
