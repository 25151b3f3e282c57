// Writes Events (events.k8s.io/v1) about objects, de-duplicated the way the API means it:
// the first occurrence creates an Event, repeats of the same (object, reason, note) raise
// its series count, at most once per `seriesIntervalMs`, instead of creating new Events on
// every resync. Writing happens in the background, one request at a time, behind a bounded
// queue: a slow API server delays Events, never a reconcile pass, and an overflow is
// counted and logged, not buffered without end.

import { randomBytes } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ClusterLookups } from '../cluster/lookups.ts';
import type { ObjectEvent } from '../publisher/pass-events.ts';
import type { Logger } from '../observability/logger.ts';
import { ApiError, errorMessage, requestJson } from './api-requests.ts';
import { microTime } from './micro-time.ts';
import { apiVersionFor, DEFAULT_WATCHED_KINDS } from './watched-kinds.ts';

export interface EventRecorderOptions {
  kubeConfig: KubeConfig;
  /** events.k8s.io reportingController, e.g. mcp-registry-export.dev/publisher. */
  reportingController: string;
  /** This replica (pod name). */
  reportingInstance: string;
  /** Finds the objects' apiVersion and uid. */
  lookups: ClusterLookups;
  logger: Logger;
  seriesIntervalMs?: number;
  maxQueue?: number;
  now?: () => number;
}

export interface EventRecorderStats {
  created: number;
  seriesUpdates: number;
  dropped: number;
  failed: number;
}

interface Occurrence {
  event: ObjectEvent;
  eventName: string | undefined;
  count: number;
  writtenCount: number;
  lastWriteAt: number;
  lastSeenAt: number;
}

/** For an object no longer in the cache (a retired route): the kind's preferred version. */
const DEFAULT_API_VERSIONS = new Map(DEFAULT_WATCHED_KINDS.map((kind) => [kind.kind, apiVersionFor(kind, kind.versions[0]!)]));

/** The API server forgets Events after an hour (--event-ttl); so do we. */
const FORGET_AFTER_MS = 60 * 60_000;

export class EventRecorder {
  readonly stats: EventRecorderStats = { created: 0, seriesUpdates: 0, dropped: 0, failed: 0 };
  private readonly options: EventRecorderOptions;
  private readonly now: () => number;
  private readonly occurrences = new Map<string, Occurrence>();
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private draining: Promise<void> | undefined;
  private sweeper: NodeJS.Timeout;
  private stopped = false;

  constructor(options: EventRecorderOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.sweeper = setInterval(() => this.sweep(), Math.max(1_000, this.seriesInterval()));
    this.sweeper.unref();
  }

  private seriesInterval(): number {
    return this.options.seriesIntervalMs ?? 60_000;
  }

  /** Notes the events of one pass; returns at once. */
  record(events: readonly ObjectEvent[]): void {
    if (this.stopped) return;
    const now = this.now();
    for (const event of events) {
      const key = keyOf(event);
      const known = this.occurrences.get(key);
      if (known) {
        known.count++;
        known.lastSeenAt = now;
        if (now - known.lastWriteAt >= this.seriesInterval()) this.enqueue(key);
      } else {
        this.occurrences.set(key, { event, eventName: undefined, count: 1, writtenCount: 0, lastWriteAt: 0, lastSeenAt: now });
        this.enqueue(key);
      }
    }
  }

  /** Resolves when everything queued so far is written (tests, shutdown). */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  async stop(): Promise<void> {
    clearInterval(this.sweeper);
    await this.flush();
    this.stopped = true;
  }

  private enqueue(key: string): void {
    if (this.queued.has(key)) return;
    if (this.queue.length >= (this.options.maxQueue ?? 1_000)) {
      this.stats.dropped++;
      if (this.stats.dropped === 1 || this.stats.dropped % 100 === 0) this.options.logger.warn({ dropped: this.stats.dropped }, 'too many Events waiting to be written; dropping some');
      return;
    }
    this.queue.push(key);
    this.queued.add(key);
    this.draining ??= this.drain().finally(() => (this.draining = undefined));
  }

  private async drain(): Promise<void> {
    for (let key = this.queue.shift(); key !== undefined; key = this.queue.shift()) {
      this.queued.delete(key);
      const occurrence = this.occurrences.get(key);
      if (occurrence && occurrence.count > occurrence.writtenCount) await this.write(occurrence);
    }
  }

  /** Writes pending series counts and forgets what the API server has forgotten. */
  private sweep(): void {
    const now = this.now();
    for (const [key, occurrence] of this.occurrences) {
      if (now - occurrence.lastSeenAt > FORGET_AFTER_MS) this.occurrences.delete(key);
      else if (occurrence.count > occurrence.writtenCount && now - occurrence.lastWriteAt >= this.seriesInterval()) this.enqueue(key);
    }
  }

  private async write(occurrence: Occurrence): Promise<void> {
    const { event } = occurrence;
    const namespace = event.regarding.namespace;
    const collection = `/apis/events.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/events`;
    const now = this.now();
    try {
      if (occurrence.eventName && occurrence.writtenCount > 0) {
        try {
          await requestJson(this.options.kubeConfig, 'PATCH', `${collection}/${occurrence.eventName}`, { series: { count: occurrence.count, lastObservedTime: microTime(now) } }, {
            contentType: 'application/merge-patch+json',
            timeoutMs: 10_000,
          });
          this.stats.seriesUpdates++;
          occurrence.writtenCount = occurrence.count;
          occurrence.lastWriteAt = now;
          return;
        } catch (error) {
          // Expired (TTL) or deleted: start a new Event for the same story.
          if (!(error instanceof ApiError && error.statusCode === 404)) throw error;
        }
      }
      const eventName = `${event.regarding.name.slice(0, 200)}.${randomBytes(8).toString('hex')}`;
      await requestJson(this.options.kubeConfig, 'POST', collection, this.body(event, eventName, now), { timeoutMs: 10_000 });
      this.stats.created++;
      occurrence.eventName = eventName;
      occurrence.writtenCount = occurrence.count;
      occurrence.lastWriteAt = now;
    } catch (error) {
      this.stats.failed++;
      // Not retried: the next pass that sees the same thing records it again.
      occurrence.count = occurrence.writtenCount;
      this.options.logger.warn({ object: `${event.regarding.kind} ${namespace}/${event.regarding.name}`, reason: event.reason, error: errorMessage(error) }, 'cannot write an Event');
    }
  }

  private body(event: ObjectEvent, name: string, now: number): object {
    const { kind, namespace, name: objectName } = event.regarding;
    const live = this.options.lookups.get(kind, namespace, objectName);
    const uid = event.regarding.uid ?? live?.metadata?.uid;
    return {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name, namespace },
      eventTime: microTime(now),
      reportingController: this.options.reportingController,
      reportingInstance: this.options.reportingInstance.slice(0, 128),
      action: event.action,
      reason: event.reason,
      type: event.type,
      note: event.note,
      regarding: { apiVersion: live?.apiVersion ?? event.regarding.apiVersion ?? DEFAULT_API_VERSIONS.get(kind) ?? 'v1', kind, namespace, name: objectName, ...(uid ? { uid } : {}) },
    };
  }
}

function keyOf(event: ObjectEvent): string {
  const { kind, namespace, name, uid } = event.regarding;
  return JSON.stringify([kind, namespace, name, uid ?? '', event.reason, event.note]);
}
