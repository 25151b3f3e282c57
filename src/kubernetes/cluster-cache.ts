// The cluster as the admission webhook (and later the publisher) sees it: ClusterLookups
// answered from supervised informer caches, so a request never waits for the API server
// (spec/annotations.md, "Checks that look at other objects"). Discovery decides which
// version of each kind to watch and re-checks every minute, so a CRD installed later is
// picked up; kinds whose API is not served are empty and do not hold back readiness. A
// kind that was served and is no longer listed keeps its last objects for `absentGraceMs`
// (a 404 can be a restarting API server), and uncertainKinds() says which kinds' objects
// cannot be trusted right now, so the publisher holds instead of retiring.
//
//   const cache = new ClusterCache({ kubeconfigPath });
//   cache.start();
//   await cache.waitForSync(60_000);
//   cache.get('Gateway', 'default', 'public');
//   await cache.stop();

import { KubeConfig } from '@kubernetes/client-node';
import type { ClusterLookups } from '../cluster/lookups.ts';
import { silentLogger, type Logger } from '../observability/logger.ts';
import { errorMessage } from './api-requests.ts';
import { ExponentialBackoff, type BackoffOptions } from './backoff.ts';
import { discoverServedVersions } from './discovery.ts';
import { KindInformer, type KindStatus } from './kind-informer.ts';
import type { KubeObject } from './objects.ts';
import { ObjectStore, type CacheListener } from './object-store.ts';
import { timerDelay } from './timers.ts';
import { DEFAULT_WATCHED_KINDS, isClusterScoped, type WatchedKind } from './watched-kinds.ts';

export type { CacheChange, CacheChangeType, CacheListener } from './object-store.ts';
export type { KindStatus } from './kind-informer.ts';
export type { WatchedKind } from './watched-kinds.ts';
export { DEFAULT_WATCHED_KINDS } from './watched-kinds.ts';

export interface ClusterCacheOptions {
  /** The API server and credentials; default: `kubeconfigPath`, else KubeConfig.loadFromDefault(). */
  kubeConfig?: KubeConfig;
  /** A kubeconfig file, used when `kubeConfig` is not given. */
  kubeconfigPath?: string;
  /** Kinds to watch (default DEFAULT_WATCHED_KINDS). */
  kinds?: readonly WatchedKind[];
  /** Replace every informer with a fresh list+watch this often, even when healthy (default 10 min; 0: never). */
  relistIntervalMs?: number;
  /** Look for newly served (or removed) APIs this often (default 60 s). */
  discoveryIntervalMs?: number;
  /** Timeout of one discovery or list request (default 60 s); watches have client-node's own 30 s idle timeout. */
  requestTimeoutMs?: number;
  /** Objects per list page (default 500). */
  pageSize?: number;
  /** Restart back-off of informers and discovery retries (default 1 s doubling to 30 s, ±20 % jitter). */
  backoff?: BackoffOptions;
  /** A run that lived this long before failing starts the back-off over (default 60 s). */
  healthyAfterMs?: number;
  /**
   * A served kind that discovery stops listing keeps its last objects this long before it
   * is emptied (default 10 min; 0: at once). Discovery retries with the back-off meanwhile.
   */
  absentGraceMs?: number;
  logger?: Logger;
}

interface CacheSettings {
  relistIntervalMs: number;
  discoveryIntervalMs: number;
  requestTimeoutMs: number;
  pageSize: number;
  absentGraceMs: number;
}

export const CLUSTER_CACHE_DEFAULTS: Readonly<CacheSettings> = {
  relistIntervalMs: 10 * 60_000,
  discoveryIntervalMs: 60_000,
  requestTimeoutMs: 60_000,
  pageSize: 500,
  absentGraceMs: 10 * 60_000,
};

/** waitForSync gave up; names the kinds still missing and why. */
export class CacheSyncError extends Error {
  readonly pending: readonly KindStatus[];

  constructor(reason: string, pending: readonly KindStatus[]) {
    const kinds = pending.map((status) => {
      const state = status.served === undefined ? 'API discovery pending' : 'initial list pending';
      return `${status.kind} (${state}${status.lastError ? `; last error: ${status.lastError}` : ''})`;
    });
    super(`${reason}; not synced: ${kinds.join(', ') || 'none'}`);
    this.name = 'CacheSyncError';
    this.pending = pending;
  }
}

interface SyncWaiter {
  resolve: () => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class ClusterCache implements ClusterLookups {
  readonly kubeConfig: KubeConfig;
  private readonly store: ObjectStore;
  private readonly informers: readonly KindInformer[];
  private readonly kinds: readonly WatchedKind[];
  private readonly logger: Logger;
  private readonly settings: CacheSettings;
  private readonly discoveryBackoff: ExponentialBackoff;
  private readonly waiters = new Set<SyncWaiter>();
  private lifetime: AbortController | undefined;
  private stopped = false;
  private discoveryTimer: NodeJS.Timeout | undefined;
  private discovering = false;
  private discoverAgain = false;
  private discoveryError: string | undefined;
  private startedAt: number | undefined;
  /** Per kind, the latest discovery round's error (any but 404), for uncertainKinds(). */
  private discoveryErrors = new Map<string, string>();
  private readonly certainListeners = new Set<() => void>();

  constructor(options: ClusterCacheOptions = {}) {
    this.kubeConfig = options.kubeConfig ?? loadKubeConfig(options.kubeconfigPath);
    this.kinds = options.kinds ?? DEFAULT_WATCHED_KINDS;
    this.logger = options.logger ?? silentLogger();
    this.settings = {
      relistIntervalMs: options.relistIntervalMs ?? CLUSTER_CACHE_DEFAULTS.relistIntervalMs,
      discoveryIntervalMs: options.discoveryIntervalMs ?? CLUSTER_CACHE_DEFAULTS.discoveryIntervalMs,
      requestTimeoutMs: options.requestTimeoutMs ?? CLUSTER_CACHE_DEFAULTS.requestTimeoutMs,
      pageSize: options.pageSize ?? CLUSTER_CACHE_DEFAULTS.pageSize,
      absentGraceMs: options.absentGraceMs ?? CLUSTER_CACHE_DEFAULTS.absentGraceMs,
    };
    validateSettings(this.settings, this.kinds);
    if (!this.kubeConfig.getCurrentCluster()) {
      throw new Error(`the kubeconfig has no cluster for its current context '${this.kubeConfig.getCurrentContext()}'`);
    }
    this.discoveryBackoff = new ExponentialBackoff(options.backoff);
    this.store = new ObjectStore(
      this.kinds.map((kind) => ({ kind: kind.kind, clusterScoped: isClusterScoped(kind) })),
      (error) => this.logger.error({ err: errorMessage(error) }, 'cluster cache change listener threw'),
    );
    this.informers = this.kinds.map(
      (kind) =>
        new KindInformer(kind, {
          kubeConfig: this.kubeConfig,
          store: this.store,
          logger: this.logger,
          relistIntervalMs: this.settings.relistIntervalMs,
          requestTimeoutMs: this.settings.requestTimeoutMs,
          pageSize: this.settings.pageSize,
          backoff: options.backoff,
          healthyAfterMs: options.healthyAfterMs,
          absentGraceMs: this.settings.absentGraceMs,
          onSynced: () => this.checkSync(),
          onNotFound: () => this.discoverSoon(),
          onCertain: () => this.announceCertain(),
        }),
    );
  }

  /** Starts discovery and the informers; look-ups answer from what has arrived so far. Once only. */
  start(): void {
    if (this.lifetime) return;
    if (this.stopped) throw new Error('a stopped ClusterCache cannot be started again; create a new one');
    this.lifetime = new AbortController();
    this.startedAt = Date.now();
    this.discoveryBackoff.reset();
    void this.discover();
  }

  /** Ends every watch, request and timer; pending waitForSync calls reject. */
  async stop(): Promise<void> {
    const lifetime = this.lifetime;
    this.lifetime = undefined;
    this.stopped = true;
    lifetime?.abort(new Error('cluster cache stopped'));
    if (this.discoveryTimer !== undefined) clearTimeout(this.discoveryTimer);
    this.discoveryTimer = undefined;
    for (const informer of this.informers) informer.stop();
    for (const waiter of [...this.waiters]) this.settle(waiter, new CacheSyncError('the cluster cache was stopped', this.pending()));
  }

  get(kind: string, namespace: string, name: string): KubeObject | undefined {
    return this.store.get(kind, namespace, name);
  }

  list(kind: string, namespace?: string): readonly KubeObject[] {
    return this.store.list(kind, namespace);
  }

  /** Bumped by every add, update and delete: cache what you derive from the look-ups per generation. */
  get generation(): number {
    return this.store.generation;
  }

  /** Calls `listener` after every add, update and delete; returns the unsubscribe function. */
  onChange(listener: CacheListener): () => void {
    return this.store.onChange(listener);
  }

  /**
   * Calls `listener` when a kind leaves uncertainKinds() (a relist after a failed watch or
   * an absence, discovery answering again), which often changes no object: nothing else
   * would tell a caller holding on that uncertainty to look again. Returns the unsubscribe
   * function.
   */
  onCertain(listener: () => void): () => void {
    this.certainListeners.add(listener);
    return () => this.certainListeners.delete(listener);
  }

  private announceCertain(): void {
    for (const listener of this.certainListeners) listener();
  }

  /**
   * True once discovery has answered for every kind and every served kind has completed its
   * initial list (for /readyz). It stays true across informer restarts: the last complete
   * snapshot keeps answering while the watch recovers, and while a kind that discovery
   * stopped listing is held for the absence grace. A kind that becomes served later is
   * not synced until its first list completes.
   */
  isSynced(): boolean {
    return this.informers.every((informer) => informer.ready);
  }

  /** Resolves once isSynced(); rejects with a CacheSyncError after `timeoutMs` or on stop(). */
  waitForSync(timeoutMs: number): Promise<void> {
    if (this.isSynced()) return Promise.resolve();
    if (!this.lifetime) return Promise.reject(new CacheSyncError('the cluster cache is not started', this.pending()));
    return new Promise((resolve, reject) => {
      const waiter: SyncWaiter = {
        resolve,
        reject,
        timer: setTimeout(
          () => this.settle(waiter, new CacheSyncError(`not synced after ${timeoutMs} ms`, this.pending())),
          timerDelay(timeoutMs),
        ),
      };
      this.waiters.add(waiter);
    });
  }

  /** Per-kind state and counters (restarts, relists, time of the last event) for metrics and health. */
  status(): KindStatus[] {
    return this.informers.map((informer) => {
      const status = informer.status();
      // Until discovery has answered for a kind, its error is discovery's.
      return status.served === undefined && !status.lastError && this.discoveryError
        ? { ...status, lastError: this.discoveryError }
        : status;
    });
  }

  /**
   * Kinds no discovery round has listed since start(), while start() is less than the
   * absence grace ago: a 404 at start can be an API server still starting, so entries
   * recorded from these kinds are held rather than retired (the publisher's business);
   * unlike uncertainKinds(), nothing that merely reads such a kind is held.
   */
  unservedSinceStart(now = Date.now()): Map<string, string> {
    const unserved = new Map<string, string>();
    if (this.startedAt === undefined || now >= this.startedAt + this.settings.absentGraceMs) return unserved;
    for (const informer of this.informers) {
      if (informer.status().served === false && !informer.everServed) unserved.set(informer.kind.kind, `not listed by discovery since this process started at ${new Date(this.startedAt).toISOString()}`);
    }
    return unserved;
  }

  /**
   * Every watched kind whose cached objects cannot be trusted right now, with a one-line
   * reason: discovery has not answered for it yet or failed for it in its latest round,
   * its initial list has not completed, its watch failed and nothing has been re-listed
   * since, or discovery stopped listing it and it is held within the absence grace (e.g.
   * "API group gateway.networking.k8s.io/v1 not listed by discovery since <ISO time>").
   * Healthy kinds and kinds that are not served (nothing held) are left out. The publisher
   * holds, rather than retires, what was built from these kinds.
   */
  uncertainKinds(now = Date.now()): Map<string, string> {
    const uncertain = new Map<string, string>();
    for (const informer of this.informers) {
      const kind = informer.kind.kind;
      const reason = informer.uncertainty(now, this.discoveryErrors.get(kind));
      if (reason !== undefined) uncertain.set(kind, reason);
    }
    return uncertain;
  }

  private pending(): KindStatus[] {
    return this.status().filter((status) => !(status.served === false || (status.served && status.synced)));
  }

  private checkSync(): void {
    if (!this.isSynced()) return;
    for (const waiter of [...this.waiters]) this.settle(waiter);
  }

  private settle(waiter: SyncWaiter, error?: Error): void {
    if (!this.waiters.delete(waiter)) return;
    clearTimeout(waiter.timer);
    if (error) waiter.reject(error);
    else waiter.resolve();
  }

  /** Discovery now (a list got 404), unless a round is already running, then right after it. */
  private discoverSoon(): void {
    if (!this.lifetime) return;
    if (this.discovering) {
      this.discoverAgain = true;
      return;
    }
    if (this.discoveryTimer !== undefined) clearTimeout(this.discoveryTimer);
    this.discoveryTimer = undefined;
    void this.discover();
  }

  private async discover(): Promise<void> {
    const lifetime = this.lifetime;
    if (!lifetime || this.discovering) return;
    this.discovering = true;
    let nextInMs = this.settings.discoveryIntervalMs;
    let answered: ReadonlyMap<string, string | null> = new Map();
    try {
      const result = await discoverServedVersions(this.kubeConfig, this.kinds, {
        signal: lifetime.signal,
        timeoutMs: this.settings.requestTimeoutMs,
      });
      if (lifetime.signal.aborted) return;
      answered = result.served;
      for (const informer of this.informers) {
        const version = result.served.get(informer.kind.kind);
        if (version !== undefined) informer.serve(version, result.unlisted.get(informer.kind.kind));
      }
      const answeredAgain = [...this.discoveryErrors.keys()].some((kind) => !result.errors.has(kind));
      this.discoveryErrors = result.errors;
      if (answeredAgain) this.announceCertain();
      const absent = this.informers.some((informer) => informer.absentUntil !== undefined);
      if (result.errors.size > 0) {
        this.discoveryError = [...new Set(result.errors.values())].join('; ');
        nextInMs = this.discoveryBackoff.next();
        this.logger.warn({ kinds: [...result.errors.keys()], err: this.discoveryError, retryInMs: nextInMs }, 'API discovery failed for some kinds');
      } else if (absent) {
        // A kind held as absent may be back in a moment (an API server restarting): look
        // again with the back-off rather than after the full interval.
        this.discoveryError = undefined;
        nextInMs = Math.min(nextInMs, this.discoveryBackoff.next());
      } else {
        this.discoveryError = undefined;
        this.discoveryBackoff.reset();
      }
    } catch (error) {
      if (lifetime.signal.aborted) return;
      this.discoveryError = errorMessage(error);
      this.discoveryErrors = new Map(this.kinds.map((kind) => [kind.kind, this.discoveryError!]));
      nextInMs = this.discoveryBackoff.next();
      this.logger.warn({ err: this.discoveryError, retryInMs: nextInMs }, 'API discovery failed');
    } finally {
      this.discovering = false;
    }
    if (this.lifetime !== lifetime) return;
    this.checkSync();
    // Look again as soon as a held kind's grace is over: it is emptied only by a round
    // that still does not list it. A grace that ran out while this round was answering
    // means at once; one this round could not answer for is left to the back-off above.
    const now = Date.now();
    for (const informer of this.informers) {
      const until = informer.absentUntil;
      if (until === undefined) continue;
      if (until > now) nextInMs = Math.min(nextInMs, until - now);
      else if (answered.has(informer.kind.kind)) nextInMs = 0;
    }
    if (this.discoverAgain) {
      this.discoverAgain = false;
      nextInMs = 0;
    }
    this.discoveryTimer = setTimeout(() => {
      this.discoveryTimer = undefined;
      void this.discover();
    }, timerDelay(nextInMs));
  }
}

function validateSettings(settings: CacheSettings, kinds: readonly WatchedKind[]): void {
  const positive: (keyof CacheSettings)[] = ['discoveryIntervalMs', 'requestTimeoutMs', 'pageSize'];
  for (const name of positive) {
    const value = settings[name];
    if (!Number.isFinite(value) || value <= 0) throw new RangeError(`ClusterCache option ${name} must be a positive number, got ${value}`);
  }
  if (!Number.isInteger(settings.pageSize)) throw new RangeError(`ClusterCache option pageSize must be an integer, got ${settings.pageSize}`);
  if (!(settings.relistIntervalMs >= 0)) {
    throw new RangeError(`ClusterCache option relistIntervalMs must be 0 (never) or a positive number, got ${settings.relistIntervalMs}`);
  }
  if (!(settings.absentGraceMs >= 0)) {
    throw new RangeError(`ClusterCache option absentGraceMs must be 0 (no grace) or a positive number, got ${settings.absentGraceMs}`);
  }
  const seen = new Set<string>();
  for (const kind of kinds) {
    if (seen.has(kind.kind)) throw new Error(`ClusterCache option kinds lists ${kind.kind} twice`);
    if (kind.versions.length === 0) throw new Error(`ClusterCache option kinds: ${kind.kind} has no versions`);
    seen.add(kind.kind);
  }
}

/** --kubeconfig, else KUBECONFIG, ~/.kube/config, then the in-cluster service account. */
export function loadKubeConfig(path: string | undefined): KubeConfig {
  const kubeConfig = new KubeConfig();
  if (path) kubeConfig.loadFromFile(path);
  else kubeConfig.loadFromDefault();
  return kubeConfig;
}
