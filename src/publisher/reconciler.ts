// The reconcile loop: the thin shell around plan -> read -> diff -> write. Level-triggered:
// every pass plans the whole cluster from the informer caches and diffs it against the
// registry, so a missed or coalesced event loses nothing. Debounced: a burst of changes
// is one pass (trailing `debounceMs`, at most `maxDelayMs` after the first change), yet a
// single change is written well under a second after it is seen. One pass at a time; a
// change during a pass runs another right after it.
//
// Safety (shared/spec/publishing.md, ../publishing-rules/): the diff's writes pass the
// publishing rules first: holds while the cluster is uncertain, readiness, the installation's
// namespaces, the policy and the mass-retire guard; names two writers fight over are left
// alone until the next resync.
//
// Failures. A registry that is unreachable, overloaded (429, 5xx) or slow: the pass is
// tried again with capped, jittered back-off, and changes that arrive meanwhile wait for
// that retry (no hot loop). A write the registry refuses (another 4xx) is reported once
// and not tried again until its content changes or the next resync.

import type { ClusterLookups } from '../cluster/lookups.ts';
import { contentKey } from '../diff/content.ts';
import { diffEntries, writeSources, type DiffResult, type Write } from '../diff/diff.ts';
import { ContentionTracker, holdKey, type Hold, type RulesResult } from '../publishing-rules/index.ts';
import { decideWrites, identityFor, PUBLISHING_DEFAULTS, type PublishingSettings } from './publishing-settings.ts';
import { ExponentialBackoff, type BackoffOptions } from '../kubernetes/backoff.ts';
import { timerDelay } from '../kubernetes/timers.ts';
import { silentLogger, type Logger } from '../observability/logger.ts';
import { PlanCache, plan, type PlanOptions, type PlanResult } from '../planner/index.ts';
import { RegistryError, type RegistryClient } from '../registry/client.ts';
import { executeWrites, isStaleViewError, type WriteOutcome } from './execute.ts';
import { readScope } from './read-scope.ts';
import { RegistryView } from './registry-view.ts';

export interface ReconcilerOptions {
  lookups: ClusterLookups;
  client: RegistryClient;
  plan: Pick<PlanOptions, 'namePrefix' | 'flavor' | 'owner'> & Partial<PlanOptions>;
  /** The publishing rules (publishing.md); defaults: PUBLISHING_DEFAULTS. */
  rules?: Partial<PublishingSettings>;
  /** Kinds whose cache cannot be trusted now, with why (ClusterCache.uncertainKinds). */
  uncertainKinds?: () => ReadonlyMap<string, string>;
  /** Kinds not listed since the process started, within the grace (ClusterCache.unservedSinceStart). */
  unservedKinds?: () => ReadonlyMap<string, string>;
  /** Log the writes instead of making them. */
  dryRun?: boolean;
  /** Read the registry in full and forget refused writes this often (default 5 min; 0: never). */
  resyncIntervalMs?: number;
  /** Quiet time after a change before a pass (default 100 ms). */
  debounceMs?: number;
  /** Longest wait after the first change of a burst (default 1 s). */
  maxDelayMs?: number;
  /** Back-off of passes that failed on the registry (default 1 s doubling to 60 s, ±20 %). */
  backoff?: BackoffOptions;
  /** Asked before every registry write (leadership); false skips the rest of the pass's writes. */
  mayWrite?: () => boolean;
  logger?: Logger;
  /** Called after every pass (tests, metrics). */
  onPass?: (pass: PassReport) => void;
}

export interface PassReport {
  trigger: string;
  plan: PlanResult;
  diff: DiffResult | undefined;
  /** What the publishing rules let through, held and withheld (with the diff). */
  rules?: RulesResult;
  /** Holds first seen, or whose grace first passed, in this pass (each is logged once). */
  newHolds: Hold[];
  /** Names found in contention with another writer in this pass. */
  contended: string[];
  /** Names whose registry copy was first found altered by the registry in this pass. */
  altered: string[];
  outcomes: WriteOutcome[];
  /** Registry reads of this pass (0 when the view was current). */
  registryReads: number;
  /** Why the pass did not finish, when it did not. */
  error?: string;
  durationMs: number;
  /** Epoch ms of the oldest cluster change this pass was the first to act on (latency metric). */
  oldestChangeAt?: number;
}

export const RECONCILER_DEFAULTS = {
  resyncIntervalMs: 5 * 60_000,
  debounceMs: 100,
  maxDelayMs: 1_000,
  backoff: { initialMs: 1_000, maxMs: 60_000, jitter: 0.2 },
} as const;

/** Who a write is about, for log lines: the registry name and the objects behind it. */
export function writeSubject(write: Write): Record<string, unknown> {
  const subject: Record<string, unknown> = { registryName: write.name, version: write.version };
  if ('entry' in write) subject['objects'] = writeSources(write).map((s) => `${s.kind} ${s.namespace}/${s.name}`);
  return subject;
}

/** The same write for the same content: what a refusal is remembered by. */
function fingerprint(write: Write): string {
  return 'entry' in write ? `publish\u0000${write.name}\u0000${write.baseVersion}\u0000${contentKey(write.entry)}` : `${write.kind}\u0000${write.name}\u0000${write.version}`;
}

const PAST_TENSE: Record<Write['kind'], string> = { publish: 'published', update: 'updated', retire: 'retired', activate: 'activated', deprecate: 'deprecated' };

export class Reconciler {
  private readonly options: ReconcilerOptions;
  private readonly logger: Logger;
  private readonly planCache = new PlanCache();
  private readonly backoff: ExponentialBackoff;
  private readonly resyncIntervalMs: number;
  private readonly debounceMs: number;
  private readonly maxDelayMs: number;
  private view: RegistryView | undefined;
  private viewStale = true;
  /** Refused writes by fingerprint -> the registry's line; cleared by a resync. */
  private readonly refused = new Map<string, string>();
  /** Writes that met a stale view once; a second time they count as refused. */
  private readonly staleOnce = new Set<string>();
  private readonly reportedConflicts = new Set<string>();
  private readonly settings: PublishingSettings;
  /** First time each hold was seen (publishing-rules holdKey -> epoch ms). */
  private holdSince = new Map<string, number>();
  /** Holds whose grace has passed and that were logged as such. */
  private readonly expiredLogged = new Set<string>();
  private readonly contention = new ContentionTracker();
  /** Names whose registry copy was altered by the registry, by version (logged once). */
  private readonly alteredLogged = new Map<string, string>();
  private massRetireLogged: string | undefined;
  private started = false;
  private stopped = false;
  private passing: Promise<void> | undefined;
  private again: string | undefined;
  private debounceTimer: NodeJS.Timeout | undefined;
  private firstPendingAt: number | undefined;
  private pendingTrigger = 'change';
  private retryTimer: NodeJS.Timeout | undefined;
  /** A pass when the earliest open hold's grace ends (nothing else may happen by then). */
  private holdTimer: NodeJS.Timeout | undefined;
  private retryAt = 0;
  private resyncTimer: NodeJS.Timeout | undefined;
  private passes = 0;
  private lastSuccessAt: number | undefined;
  private unhandledSince: number | undefined;
  /** Aborted by stop(): the running pass makes no further writes (a lost Lease must not keep writing). */
  private readonly stopWrites = new AbortController();
  private unhandledChanges = 0;

  constructor(options: ReconcilerOptions) {
    this.options = options;
    this.logger = options.logger ?? silentLogger();
    this.backoff = new ExponentialBackoff(options.backoff ?? RECONCILER_DEFAULTS.backoff);
    this.resyncIntervalMs = options.resyncIntervalMs ?? RECONCILER_DEFAULTS.resyncIntervalMs;
    this.debounceMs = options.debounceMs ?? RECONCILER_DEFAULTS.debounceMs;
    this.maxDelayMs = Math.max(this.debounceMs, options.maxDelayMs ?? RECONCILER_DEFAULTS.maxDelayMs);
    this.settings = { ...PUBLISHING_DEFAULTS, ...options.rules };
  }

  /** True once a pass has completed without a registry failure. */
  get synced(): boolean {
    return this.lastSuccessAt !== undefined;
  }

  /** Epoch milliseconds of the last pass that completed without a registry failure. */
  get lastSuccess(): number | undefined {
    return this.lastSuccessAt;
  }

  /** Cluster changes no finished pass has acted on yet (the queue depth). */
  get pendingChanges(): number {
    return this.unhandledChanges;
  }

  /** The first pass now; later ones on changes, retries and resyncs. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.scheduleResync();
    void this.pass('start');
  }

  /** A cluster change: a pass after the debounce. */
  notifyChange(): void {
    if (!this.started || this.stopped) return;
    const now = Date.now();
    this.unhandledSince ??= now;
    this.unhandledChanges++;
    this.firstPendingAt ??= now;
    this.pendingTrigger = 'change';
    if (this.debounceTimer !== undefined) clearTimeout(this.debounceTimer);
    const wait = Math.max(0, Math.min(this.debounceMs, this.firstPendingAt + this.maxDelayMs - now));
    this.debounceTimer = setTimeout(() => this.fireDebounced(), wait);
  }

  /** Read the registry in full at the next pass and forget refused writes; run it now. */
  resync(): Promise<void> {
    this.viewStale = true;
    this.refused.clear();
    this.staleOnce.clear();
    this.contention.resync();
    this.massRetireLogged = undefined;
    return this.pass('resync');
  }

  /** No new passes; waits for the running one (its writes finish). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopWrites.abort();
    for (const timer of [this.debounceTimer, this.retryTimer, this.resyncTimer, this.holdTimer]) if (timer !== undefined) clearTimeout(timer);
    this.debounceTimer = this.retryTimer = this.resyncTimer = this.holdTimer = undefined;
    await this.passing;
  }

  /** Run a pass now (or right after the running one); resolves when it is done. */
  pass(trigger: string): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.passing) {
      this.again = trigger;
      return this.passing;
    }
    this.passing = (async () => {
      try {
        let next: string | undefined = trigger;
        while (next !== undefined && !this.stopped) {
          this.again = undefined;
          await this.passOnce(next);
          next = this.again;
        }
      } finally {
        this.passing = undefined;
      }
    })();
    return this.passing;
  }

  private fireDebounced(): void {
    this.debounceTimer = undefined;
    this.firstPendingAt = undefined;
    // While backing off from a registry failure, changes wait for the retry.
    if (this.retryTimer !== undefined && this.retryAt > Date.now()) return;
    void this.pass(this.pendingTrigger);
  }

  private scheduleResync(): void {
    if (this.resyncIntervalMs <= 0 || this.stopped) return;
    this.resyncTimer = setTimeout(() => {
      this.resyncTimer = undefined;
      void this.resync().finally(() => this.scheduleResync());
    }, timerDelay(this.resyncIntervalMs));
    this.resyncTimer.unref?.();
  }

  /**
   * A hold's grace ends on the clock, not on a cluster change: without a pass then, a name
   * not ready (or uncertain) would stay as it is until the next resync, or forever with
   * resync off (publishing.md §1, §4). (A kind known for certain again is announced by the
   * cache's onCertain, which the publisher turns into a pass.)
   */
  private scheduleHoldExpiry(holds: readonly Hold[]): void {
    if (this.holdTimer !== undefined) clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    const now = Date.now();
    const ends = holds
      .filter((hold) => !hold.expired)
      .map((hold) => hold.since + this.settings.holdGraceMs);
    if (ends.length === 0 || this.stopped) return;
    this.holdTimer = setTimeout(() => {
      this.holdTimer = undefined;
      // While backing off from a registry failure, the retry's pass applies it.
      if (this.retryTimer !== undefined && this.retryAt > Date.now()) return;
      void this.pass('hold grace');
    }, timerDelay(Math.min(...ends) - now + 10));
    this.holdTimer.unref?.();
  }

  private scheduleRetry(error: RegistryError | undefined): void {
    if (this.stopped) return;
    const delay = Math.max(this.backoff.next(), (error?.retryAfterSeconds ?? 0) * 1000);
    const capped = Math.min(delay, RECONCILER_DEFAULTS.backoff.maxMs);
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryAt = Date.now() + capped;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.pass('retry');
    }, capped);
    this.logger.warn({ retryInMs: capped, err: error?.message }, 'registry pass failed; retrying later');
  }

  private async passOnce(trigger: string): Promise<void> {
    const started = performance.now();
    this.passes++;
    const planOptions = { defaultNamespace: 'default', ...this.options.plan };
    const planned = plan(this.options.lookups, planOptions, { cache: this.planCache });
    const report: PassReport = { trigger, plan: planned, diff: undefined, newHolds: [], contended: [], altered: [], outcomes: [], registryReads: 0, durationMs: 0 };
    // Changes from here on are the next pass's; a failed pass hands its own back.
    const handling = { since: this.unhandledSince, count: this.unhandledChanges };
    this.unhandledSince = undefined;
    this.unhandledChanges = 0;
    if (handling.since !== undefined) report.oldestChangeAt = handling.since;
    let retryable: RegistryError | undefined;
    let staleAgain = false;
    try {
      const { client } = this.options;
      const reloaded = !this.view || this.viewStale;
      if (reloaded) {
        const patterns = await client.publishPatterns();
        const scope = readScope(planOptions.namePrefix, patterns, planned.entries.map((e) => e.name));
        this.view = await RegistryView.load(client, scope);
        report.registryReads += scope.prefixes.length + scope.names.length;
        this.viewStale = false;
        this.logger.debug({ prefixes: scope.prefixes, names: scope.names.length, versions: this.view.size }, 'read the registry');
      }
      const view = this.view!;
      for (const entry of planned.entries) {
        if (!view.covers(entry.name)) {
          await view.readName(client, entry.name);
          report.registryReads++;
        }
      }
      const diff = diffEntries(planned.entries, view.entries(), identityFor(planOptions, this.settings));
      report.diff = diff;
      this.reportConflicts(diff);
      this.reportAltered(diff, report);
      if (reloaded) report.contended = this.contention.observe(diff.owned.map((o) => ({ name: o.name, version: o.current?.server.version })));
      for (const name of report.contended) {
        this.logger.warn({ registryName: name }, `${name} changed under us twice in a row (another writer with the same owner and installation?); not writing it before the next resync`);
      }
      const rules = this.applyRules(diff, planned, client.statusChanges, report);
      const writes = rules.writes.filter((write) => {
        const refusal = this.refused.get(fingerprint(write));
        if (refusal !== undefined) this.logger.debug({ ...writeSubject(write), err: refusal }, `not retrying a refused ${write.kind} before the next resync`);
        return refusal === undefined;
      });
      if (this.options.dryRun) {
        for (const write of writes) this.logger.info({ ...writeSubject(write), kind: write.kind, reason: write.reason, dryRun: true }, `would ${write.kind}`);
      } else {
        report.outcomes = await executeWrites(client, view, writes, {
          signal: this.stopWrites.signal,
          ...(this.options.mayWrite ? { mayWrite: this.options.mayWrite } : {}),
          onOutcome: (outcome) => {
            const verdict = this.judgeOutcome(outcome);
            if (verdict === 'retry') retryable ??= (outcome as { error: RegistryError }).error;
            if (verdict === 'stale') staleAgain = true;
          },
        });
      }
    } catch (error) {
      const registryError = error instanceof RegistryError ? error : new RegistryError('read', error instanceof Error ? error.message : String(error), { retryable: true, cause: error });
      report.error = registryError.message;
      retryable = registryError;
      this.viewStale = true;
    }
    report.durationMs = performance.now() - started;
    if (retryable && handling.since !== undefined) {
      this.unhandledSince = Math.min(handling.since, this.unhandledSince ?? Infinity);
      this.unhandledChanges += handling.count;
    }
    if (retryable) {
      this.viewStale = true;
      this.scheduleRetry(retryable);
    } else {
      this.backoff.reset();
      this.retryAt = 0;
      this.lastSuccessAt = Date.now();
      if (staleAgain) {
        this.viewStale = true;
        this.again ??= 'stale view';
      }
    }
    this.options.onPass?.(report);
  }

  /** Log one write's outcome; what the pass should do about it. */
  private judgeOutcome(outcome: WriteOutcome): 'ok' | 'retry' | 'stale' | 'refused' | 'waiting' {
    const { write } = outcome;
    const subject = { ...writeSubject(write), kind: write.kind, reason: write.reason };
    if (outcome.result === 'written') {
      this.staleOnce.delete(fingerprint(write));
      this.logger.info(subject, PAST_TENSE[write.kind]);
      if (write.kind === 'publish' || write.kind === 'update') this.contention.wrote(write.name, write.version);
      else if (write.kind === 'retire' && write.supersededBy === undefined) this.contention.wrote(write.name, undefined);
      return 'ok';
    }
    if (outcome.result === 'waiting') {
      this.logger.debug({ ...subject, waitingOn: outcome.on }, `${write.kind} waits for an earlier write`);
      return 'waiting';
    }
    const { error } = outcome;
    if (error.retryable) return 'retry';
    const key = fingerprint(write);
    if (isStaleViewError(error) && !this.staleOnce.has(key)) {
      this.staleOnce.add(key);
      this.logger.info({ ...subject, err: error.message }, `${write.kind} met a registry that changed behind us; reading it again`);
      return 'stale';
    }
    this.refused.set(key, error.message);
    this.logger.warn({ ...subject, err: error.message }, `the registry refused the ${write.kind}; not retrying it before its content changes or the next resync`);
    return 'refused';
  }

  /** The publishing rules over the diff, with their log lines (each hold once, each expiry once). */
  private applyRules(diff: DiffResult, planned: PlanResult, statusChanges: boolean, report: PassReport): RulesResult {
    const rules = decideWrites({
      diff,
      planned,
      lookups: this.options.lookups,
      settings: this.settings,
      statusChanges,
      now: Date.now(),
      since: this.holdSince,
      ...(this.options.uncertainKinds ? { uncertainKinds: this.options.uncertainKinds() } : {}),
      ...(this.options.unservedKinds ? { unservedKinds: this.options.unservedKinds() } : {}),
      contended: (name) => this.contention.isBlocked(name),
    });
    this.holdSince = rules.since;
    this.scheduleHoldExpiry(rules.holds);
    for (const key of this.expiredLogged) if (!rules.since.has(key)) this.expiredLogged.delete(key);
    report.rules = rules;
    for (const hold of rules.holds) {
      const key = holdKey(hold.name, hold.category);
      const subject = { registryName: hold.name, category: hold.category, reason: hold.reason, holdGraceMs: this.settings.holdGraceMs };
      if (hold.fresh && !hold.expired) {
        this.logger.info(subject, `holding ${hold.name}: ${hold.reason}`);
        report.newHolds.push(hold);
      } else if (hold.expired && !this.expiredLogged.has(key)) {
        this.expiredLogged.add(key);
        const then = hold.category === 'not ready' ? 'deprecating it where the registry can' : 'applying the plan as it stands';
        this.logger.warn(subject, `${hold.name} held past the grace: ${hold.reason}; ${then}`);
        report.newHolds.push(hold);
      }
    }
    if (rules.massRetire && this.massRetireLogged !== rules.massRetire.refusal) {
      this.massRetireLogged = rules.massRetire.refusal;
      this.logger.warn({ names: rules.massRetire.names.slice(0, 20), count: rules.massRetire.names.length }, rules.massRetire.refusal);
    }
    for (const { write, rule, reason } of rules.withheld) {
      if (rule === 'policy' || rule === 'namespace scope') this.logger.debug({ ...writeSubject(write), kind: write.kind, rule }, `not making the ${write.kind}: ${reason}`);
    }
    return rules;
  }

  private reportAltered(diff: DiffResult, report: PassReport): void {
    for (const name of diff.altered) {
      // The diff's current version: the ToolHive registry marks no version latest.
      const version = diff.owned.find((o) => o.name === name)?.current?.server.version ?? '';
      if (this.alteredLogged.get(name) === version) continue;
      this.alteredLogged.set(name, version);
      report.altered.push(name);
      this.logger.info({ registryName: name }, `the registry's copy of ${name} differs from what was published (a field dropped or normalized by the registry); not publishing it again`);
    }
  }

  private reportConflicts(diff: DiffResult): void {
    for (const conflict of diff.conflicts) {
      const key = `${conflict.name}\u0000${conflict.reason}`;
      if (this.reportedConflicts.has(key)) continue;
      this.reportedConflicts.add(key);
      this.logger.warn({ registryName: conflict.name, owner: conflict.owner }, `not publishing ${conflict.name}: ${conflict.reason}`);
    }
  }
}
