// One watched kind: a client-node ListWatch per run, under a Supervisor that restarts it
// after errors (with back-off) and replaces it every relist interval, feeding the shared
// ObjectStore. Each run starts with a fresh paginated list that becomes the truth for the
// kind, so objects deleted while no watch was running disappear too.
//
// ListWatch's stop() has two gaps this module closes: a reconnect delay that is still
// pending when it stops, and a watch request still connecting, both start a watch after
// stop(). Each run therefore gives ListWatch a delay that ends on the run's abort signal
// and a Watch that refuses to start (or aborts at once) once the run is over.
//
// A kind that was served and that discovery stops listing is *absent*, not gone: the API
// server answers 404 for custom resources for a moment after a restart (kubernetes#71218,
// #115241), and emptying the kind would make the publisher retire everything built from
// it. The informer stops and the last objects stay until discovery has not listed the
// kind for the whole `absentGraceMs`; if it is listed again first, a fresh list replaces
// them (objects deleted meanwhile go away then).

import {
  ADD,
  DELETE,
  ERROR,
  ListWatch,
  UPDATE,
  Watch,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import type { Logger } from '../observability/logger.ts';
import { errorMessage, getJson, statusCodeOf } from './api-requests.ts';
import type { BackoffOptions } from './backoff.ts';
import type { KubeObject } from './objects.ts';
import { stripManagedFields, type ObjectStore } from './object-store.ts';
import { Supervisor, type SupervisedRun } from './supervisor.ts';
import { apiVersionFor, collectionPath, describeResource, type WatchedKind } from './watched-kinds.ts';

export interface KindStatus {
  kind: string;
  /**
   * The version being watched, or whose objects are held while the kind is absent;
   * undefined while the kind is not served or not yet discovered.
   */
  version: string | undefined;
  /** Discovery's latest answer: undefined until it has answered, false while it does not list the kind. */
  served: boolean | undefined;
  /**
   * The current version's initial list has completed; stays true while an absent kind's
   * last objects are held (a kind never served never syncs).
   */
  synced: boolean;
  /**
   * Milliseconds since the epoch since when discovery has not listed this kind, which was
   * served: its last objects are held until `absentGraceMs` has passed. undefined otherwise.
   */
  absentSince: number | undefined;
  objects: number;
  /** Informer runs started to replace a failed one. */
  restarts: number;
  /** Healthy runs replaced by the periodic full relist. */
  relists: number;
  /** Errors that ended a run (list or watch failures). */
  failures: number;
  /** Milliseconds since the epoch of the last watch event or completed list. */
  lastEventTime: number | undefined;
  /** Milliseconds since the epoch of the last completed full list. */
  lastSyncTime: number | undefined;
  /** Milliseconds since the epoch of the last error that ended a run. */
  lastFailureTime: number | undefined;
  lastError: string | undefined;
}

export interface KindInformerOptions {
  kubeConfig: KubeConfig;
  store: ObjectStore;
  logger: Logger;
  relistIntervalMs: number;
  requestTimeoutMs: number;
  pageSize: number;
  backoff?: BackoffOptions;
  healthyAfterMs?: number;
  /** How long discovery must not list a kind that was served before its objects are dropped (0: at once). */
  absentGraceMs: number;
  /** The kind's initial list completed. */
  onSynced: () => void;
  /** A list or watch got 404: the kind's API may be gone, discovery should look again. */
  onNotFound: () => void;
  /** A list made the kind certain again (often without changing an object, so no change announces it). */
  onCertain: () => void;
}

export class KindInformer {
  readonly kind: WatchedKind;
  private readonly options: KindInformerOptions;
  private readonly supervisor: Supervisor;
  private version: string | undefined;
  private served: boolean | undefined;
  /** Discovery has listed the kind at least once since start. */
  everServed = false;
  private synced = false;
  private lastEventTime: number | undefined;
  private lastSyncTime: number | undefined;
  private lastFailureTime: number | undefined;
  /** A run failed and no list has completed since: the held objects may be missing changes. */
  private failedSinceList = false;
  /** Served again, or at another version: the held objects wait for the new run's list. */
  private relistPending = false;
  private absentSince: number | undefined;
  /** What discovery saw while absent, e.g. "API group gateway.networking.k8s.io/v1 not listed by discovery". */
  private absentReason: string | undefined;

  constructor(kind: WatchedKind, options: KindInformerOptions) {
    this.kind = kind;
    this.options = options;
    this.supervisor = new Supervisor({
      start: (run) => this.run(run),
      backoff: options.backoff,
      refreshEveryMs: options.relistIntervalMs,
      healthyAfterMs: options.healthyAfterMs,
      onFailure: (error, retryInMs) => {
        this.lastFailureTime = Date.now();
        this.failedSinceList = true;
        options.logger.warn(
          { kind: kind.kind, resource: describeResource(kind, this.version), err: errorMessage(error), retryInMs },
          'informer failed; restarting it after back-off',
        );
        if (statusCodeOf(error) === 404) options.onNotFound();
      },
    });
  }

  /** Ready for look-ups: synced, or known not to be served (then it is empty). */
  get ready(): boolean {
    return this.served === false || (this.served === true && this.synced);
  }

  /**
   * When the held objects of an absent kind are due to be dropped (ms since the epoch):
   * the first discovery round from then on that still does not list the kind empties it.
   */
  get absentUntil(): number | undefined {
    return this.absentSince === undefined ? undefined : this.absentSince + this.options.absentGraceMs;
  }

  /**
   * Discovery's answer: the version to watch, or null when the kind is not served (with
   * what discovery saw, for logs and uncertainty()).
   */
  serve(version: string | null, unlisted?: string): void {
    if (version === null) {
      this.unserved(unlisted ?? `${describeResource(this.kind)} not listed by discovery`);
      return;
    }
    if (this.served === true && this.version === version) return;
    this.everServed = true;
    const previous = this.version;
    const returning = this.absentSince !== undefined;
    this.served = true;
    this.version = version;
    this.absentSince = undefined;
    this.absentReason = undefined;
    // Until the new run's list completes, the held snapshot may miss changes (objects
    // deleted while the kind was absent, or while the old version's watch was stopped).
    if (this.synced) this.relistPending = true;
    this.options.logger.info(
      { kind: this.kind.kind, resource: describeResource(this.kind, version), previousVersion: previous },
      returning ? 'kind listed by discovery again; re-listing' : previous ? 'served version changed; re-listing' : 'watching kind',
    );
    // A version switch or a return keeps `synced`: the stored objects remain a complete
    // (possibly older) snapshot until the new run's list replaces them.
    if (this.supervisor.isRunning) this.supervisor.restartNow();
    else this.supervisor.start();
  }

  private unserved(unlisted: string): void {
    const now = Date.now();
    const kind = this.kind.kind;
    if (this.served === true) {
      // Not gone yet: keep the last objects and stop watching (its list and watch would
      // only get 404s); discovery keeps looking and watches it again when it is back.
      this.supervisor.stop();
      this.served = false;
      this.absentSince = now;
      if (this.options.absentGraceMs > 0) {
        this.options.logger.warn(
          { kind, resource: describeResource(this.kind, this.version), unlisted, objects: this.options.store.count(kind), graceMs: this.options.absentGraceMs },
          'kind no longer listed by discovery; keeping its last objects for the absence grace',
        );
      }
    }
    if (this.absentSince !== undefined) {
      this.absentReason = unlisted;
      if (now - this.absentSince < this.options.absentGraceMs) return;
    } else if (this.served === false) {
      return;
    }
    const wasServed = this.absentSince !== undefined;
    const absentSince = this.absentSince;
    this.served = false;
    this.version = undefined;
    this.synced = false;
    this.absentSince = undefined;
    this.absentReason = undefined;
    this.failedSinceList = false;
    this.relistPending = false;
    const removed = this.options.store.clear(kind);
    this.options.logger.info(
      {
        kind,
        resource: describeResource(this.kind),
        versions: this.kind.versions,
        removed,
        ...(absentSince === undefined ? {} : { absentSince: new Date(absentSince).toISOString() }),
      },
      wasServed ? 'kind no longer served; its cache is now empty' : 'kind not served (CRD not installed?); treated as empty',
    );
  }

  /**
   * Why this kind's cached objects cannot be trusted right now, or undefined when they can
   * (or when the kind is simply not served: nothing is held then). `discoveryError` is the
   * latest discovery round's error for this kind, if any.
   */
  uncertainty(now: number, discoveryError?: string): string | undefined {
    const resource = describeResource(this.kind, this.version);
    // The supervisor keeps its last error after recovering: only a failure not yet followed by a list counts.
    const lastError = this.failedSinceList && this.supervisor.lastError !== undefined ? errorMessage(this.supervisor.lastError) : undefined;
    if (this.served === undefined) {
      return `API discovery has not answered for ${resource} yet${discoveryError ? `: ${discoveryError}` : ''}`;
    }
    if (this.absentSince !== undefined) {
      const since = `${this.absentReason} since ${new Date(this.absentSince).toISOString()}`;
      // Past the grace but not confirmed yet (discovery failing, or its round not due): still held.
      return now >= this.absentSince + this.options.absentGraceMs ? `${since} (grace over; emptied once discovery confirms)` : since;
    }
    if (this.served === false) return undefined;
    if (!this.synced) return `initial list of ${resource} has not completed${lastError ? ` (last error: ${lastError})` : ''}`;
    if (this.failedSinceList) {
      return `watch of ${resource} failed at ${new Date(this.lastFailureTime ?? now).toISOString()} and has not re-listed since: ${lastError}`;
    }
    if (discoveryError) return `API discovery failed for ${resource}: ${discoveryError}`;
    if (this.relistPending) return `re-listing ${resource}; the held objects may miss changes until it completes`;
    return undefined;
  }

  stop(): void {
    this.supervisor.stop();
  }

  status(): KindStatus {
    const lastError = this.supervisor.lastError;
    return {
      kind: this.kind.kind,
      version: this.version,
      served: this.served,
      synced: this.synced,
      absentSince: this.absentSince,
      objects: this.options.store.count(this.kind.kind),
      restarts: this.supervisor.restarts,
      relists: this.supervisor.refreshes,
      failures: this.supervisor.failures,
      lastEventTime: this.lastEventTime,
      lastSyncTime: this.lastSyncTime,
      lastFailureTime: this.lastFailureTime,
      lastError: lastError === undefined ? undefined : errorMessage(lastError),
    };
  }

  private async run(run: SupervisedRun): Promise<void> {
    const version = this.version;
    if (!version) return;
    const { store } = this.options;
    const kind = this.kind.kind;
    const apiVersion = apiVersionFor(this.kind, version);
    const watch = new RunWatch(this.options.kubeConfig, run, (object) => {
      this.lastEventTime = Date.now();
      prepareObject(object, kind, apiVersion);
    });
    const informer = new ListWatch<KubernetesObject>(
      collectionPath(this.kind, version),
      watch,
      () => this.list(run, version),
      false,
      undefined,
      undefined,
      { delayFn: (ms) => abortableDelay(ms, run.signal) },
    );
    const whileCurrent = (apply: (object: KubeObject) => void) => (object: KubernetesObject) => {
      if (!run.signal.aborted) apply(asKubeObject(object));
    };
    informer.on(ADD, whileCurrent((object) => store.upsert(kind, object)));
    informer.on(UPDATE, whileCurrent((object) => store.upsert(kind, object)));
    informer.on(DELETE, whileCurrent((object) => store.remove(kind, object)));
    // ListWatch reports every error but 410 and a client-side timeout here, and then stops.
    informer.on(ERROR, (error) => run.fail(error ?? new Error(`watch of ${describeResource(this.kind, version)} ended`)));
    run.signal.addEventListener('abort', () => void informer.stop(), { once: true });
    await informer.start();
  }

  /**
   * ListWatch's list function: every page, then the result becomes the kind's truth in the
   * store (objects missing from it are deleted). ListWatch lists again by itself after a
   * 410 Gone, which comes through here too.
   */
  private async list(run: SupervisedRun, version: string): Promise<KubernetesListObject<KubernetesObject>> {
    const path = collectionPath(this.kind, version);
    const apiVersion = apiVersionFor(this.kind, version);
    const items: KubeObject[] = [];
    let continueToken: string | undefined;
    let resourceVersion: string | undefined;
    do {
      const query = new URLSearchParams({ limit: String(this.options.pageSize) });
      if (continueToken) query.set('continue', continueToken);
      const page = await getJson<{ metadata?: { continue?: string; resourceVersion?: string }; items?: KubeObject[] }>(
        this.options.kubeConfig,
        `${path}?${query}`,
        { signal: run.signal, timeoutMs: this.options.requestTimeoutMs },
      );
      for (const item of page.items ?? []) items.push(prepareObject(item, this.kind.kind, apiVersion));
      continueToken = page.metadata?.continue || undefined;
      // Every page of a paginated list comes from one snapshot; the last page's version is the list's.
      resourceVersion = page.metadata?.resourceVersion;
    } while (continueToken);
    run.signal.throwIfAborted();
    const changes = this.options.store.replace(this.kind.kind, items);
    this.lastEventTime = this.lastSyncTime = Date.now();
    const wasUncertain = this.failedSinceList || this.relistPending || !this.synced;
    // A full list is the truth again, whatever failed or was missed before it.
    this.failedSinceList = false;
    this.relistPending = false;
    if (!this.synced) {
      this.synced = true;
      this.options.logger.info({ kind: this.kind.kind, objects: items.length }, 'kind synced');
      this.options.onSynced();
    } else if (changes > 0) {
      this.options.logger.debug({ kind: this.kind.kind, changes }, 'relist found changes the watch had not delivered');
    }
    if (wasUncertain) this.options.onCertain();
    return { metadata: { resourceVersion }, items: items as KubernetesObject[] };
  }
}

/**
 * client-node's Watch for one run: asks for bookmarks (they keep the resourceVersion of a
 * quiet kind fresh, so a reconnect is less likely to need a relist), prepares each object
 * before ListWatch stores it, and never outlives the run.
 */
class RunWatch extends Watch {
  private readonly run: SupervisedRun;
  private readonly onObject: (object: KubeObject) => void;

  constructor(kubeConfig: KubeConfig, run: SupervisedRun, onObject: (object: KubeObject) => void) {
    super(kubeConfig);
    this.run = run;
    this.onObject = onObject;
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: any, watchObj?: any) => void,
    done: (err: any) => void,
  ): Promise<AbortController> {
    if (this.run.signal.aborted) return abortedController();
    let controller: AbortController;
    try {
      controller = await super.watch(
        path,
        { ...queryParams, allowWatchBookmarks: true },
        (phase, object, event) => {
          if (this.run.signal.aborted) return;
          if (object && typeof object === 'object' && phase !== 'ERROR') this.onObject(object as KubeObject);
          callback(phase, object, event);
        },
        done,
      );
    } catch (error) {
      // Thrown before the request (e.g. credentials could not be refreshed): ListWatch
      // would turn this into an unhandled rejection and stop silently.
      this.run.fail(error);
      return abortedController();
    }
    if (this.run.signal.aborted) controller.abort();
    return controller;
  }
}

function abortedController(): AbortController {
  const controller = new AbortController();
  controller.abort();
  return controller;
}

/** A delay that ends early, without error, when the run is over (ListWatch's reconnect wait). */
function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Strips managedFields, and fills in kind and apiVersion, which the API server leaves out
 * of the items of built-in lists (Namespace, Service) but the contract reads.
 */
function prepareObject(object: KubeObject, kind: string, apiVersion: string): KubeObject {
  stripManagedFields(object);
  object.kind ??= kind;
  object.apiVersion ??= apiVersion;
  return object;
}

/** The objects are parsed JSON, never client-node model classes: only the static type differs. */
function asKubeObject(object: KubernetesObject): KubeObject {
  return object as unknown as KubeObject;
}
