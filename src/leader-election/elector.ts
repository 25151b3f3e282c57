// Leader election on a coordination.k8s.io/v1 Lease. Every replica runs one; the holder
// runs the leader's work (publishing, certificates) and the others stay warm.
//
// - Writes carry the resourceVersion read just before, so two candidates never both win.
// - The holder renews every retry period; if it has not renewed for renewDeadline (shorter
//   than the lease duration), it stops its work *before* anyone else may take over, so a
//   leader cut off from the API server never overlaps a successor. isLeader() is checked
//   against the clock, not just flipped by the loop, so a stalled loop cannot extend it.
// - stop() ends the work first, then writes the Lease as released: a successor takes over
//   on its next retry instead of waiting out the lease duration.

import type { KubeConfig } from '@kubernetes/client-node';
import { errorMessage, getIfExists, requestJson } from '../kubernetes/api-requests.ts';
import type { Logger } from '../observability/logger.ts';
import { decideLease, releasedSpec, type LeaseSpec, type LeaseView } from './lease-rules.ts';

export interface LeaderElectionTiming {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

/** client-go's defaults. */
export const DEFAULT_LEADER_ELECTION_TIMING: LeaderElectionTiming = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

/** The work a leader does; the signal aborts when leadership ends. */
export type LeaderWork = (signal: AbortSignal) => Promise<{ stop(): Promise<void> }>;

export interface LeaderElectorOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  name: string;
  identity: string;
  timing?: Partial<LeaderElectionTiming>;
  logger: Logger;
  work: LeaderWork;
  now?: () => number;
  /** The work threw while starting (the command decides: usually exit). */
  onWorkFailed?: (error: Error) => void;
  /** Told about every change of leadership (metrics, tests). */
  onLeadershipChange?: (leading: boolean) => void;
}

interface LeaseObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec?: LeaseSpec;
}

export interface Elector {
  readonly identity: string;
  start(): void;
  isLeader(): boolean;
  /** Ends the leader's work (if any) and releases the Lease. */
  stop(): Promise<void>;
}

export class LeaderElector implements Elector {
  readonly identity: string;
  private readonly options: LeaderElectorOptions;
  private readonly timing: LeaderElectionTiming;
  private readonly now: () => number;
  private readonly path: string;
  private view: LeaseView = { spec: undefined, observedAt: 0 };
  private lastSeen = '';
  private resourceVersion: string | undefined;
  private renewedAt: number | undefined;
  private running: { abort: AbortController; stopped: Promise<void> } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private lastWaitLog = '';

  constructor(options: LeaderElectorOptions) {
    this.options = options;
    this.identity = options.identity;
    this.timing = { ...DEFAULT_LEADER_ELECTION_TIMING, ...options.timing };
    if (this.timing.renewDeadlineMs >= this.timing.leaseDurationMs) {
      throw new Error('the renew deadline must be shorter than the lease duration');
    }
    this.now = options.now ?? Date.now;
    this.path = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(options.namespace)}/leases`;
  }

  start(): void {
    this.schedule(0);
  }

  isLeader(): boolean {
    return this.running !== undefined && this.renewedAt !== undefined && this.now() - this.renewedAt < this.timing.renewDeadlineMs;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    await this.loop;
    const wasLeading = this.running !== undefined;
    await this.endWork('shutting down');
    if (wasLeading) await this.release();
  }

  private schedule(delayMs: number): void {
    if (this.stopping) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.loop = this.tick().finally(() => {
        this.loop = undefined;
        // Jitter keeps a crowd of candidates from hitting the API server in step.
        this.schedule(this.timing.retryPeriodMs * (1 + Math.random() * 0.2));
      });
    }, delayMs);
  }

  private async tick(): Promise<void> {
    const { logger } = this.options;
    try {
      await this.tryAcquireOrRenew();
    } catch (error) {
      logger.warn({ lease: this.leaseRef(), error: errorMessage(error) }, 'cannot read or write the leader Lease');
    }
    if (this.running && !this.isLeader()) {
      await this.endWork(`the Lease was not renewed for ${this.timing.renewDeadlineMs} ms`);
    }
  }

  private leaseRef(): string {
    return `${this.options.namespace}/${this.options.name}`;
  }

  private read(): Promise<LeaseObject | undefined> {
    return getIfExists<LeaseObject>(this.options.kubeConfig, `${this.path}/${encodeURIComponent(this.options.name)}`, { timeoutMs: this.requestTimeoutMs() });
  }

  /** A request may never outlast the time left to renew. */
  private requestTimeoutMs(): number {
    return Math.max(500, Math.min(this.timing.retryPeriodMs * 2, this.timing.renewDeadlineMs / 2));
  }

  private observe(lease: LeaseObject | undefined): void {
    const seen = JSON.stringify(lease?.spec ?? null);
    if (seen !== this.lastSeen || lease === undefined) {
      this.lastSeen = seen;
      this.view = { spec: lease?.spec, observedAt: this.now() };
    }
    this.resourceVersion = lease?.metadata.resourceVersion;
  }

  private async tryAcquireOrRenew(): Promise<void> {
    const lease = await this.read();
    this.observe(lease);
    const decision = decideLease(this.view, this.identity, this.timing.leaseDurationMs, this.now());
    const { logger } = this.options;
    if (decision.action === 'wait') {
      if (this.running) await this.endWork(`${decision.holder} holds the Lease`);
      if (this.lastWaitLog !== decision.holder) logger.info({ lease: this.leaseRef(), holder: decision.holder }, 'another replica is the leader');
      this.lastWaitLog = decision.holder;
      return;
    }
    const attemptAt = this.now();
    const body: LeaseObject = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.options.name, namespace: this.options.namespace, ...(this.resourceVersion ? { resourceVersion: this.resourceVersion } : {}) },
      spec: decision.spec,
    };
    const written =
      decision.action === 'create'
        ? await requestJson<LeaseObject>(this.options.kubeConfig, 'POST', this.path, body, { timeoutMs: this.requestTimeoutMs() })
        : await requestJson<LeaseObject>(this.options.kubeConfig, 'PUT', `${this.path}/${encodeURIComponent(this.options.name)}`, body, {
            timeoutMs: this.requestTimeoutMs(),
          });
    // Counted from before the write: the Lease may have been valid to others from then on.
    this.renewedAt = attemptAt;
    this.observe(written);
    this.lastWaitLog = '';
    if (!this.running) this.beginWork(decision.action === 'acquire' ? decision.previousHolder : undefined);
  }

  /** Starts the work without waiting for it: the renew loop must keep running meanwhile. */
  private beginWork(previousHolder: string | undefined): void {
    const { logger } = this.options;
    logger.info({ lease: this.leaseRef(), identity: this.identity, previousHolder }, 'became the leader');
    const abort = new AbortController();
    const ended = new Promise<void>((resolve) => abort.signal.addEventListener('abort', () => resolve(), { once: true }));
    const stopped = (async () => {
      let work: { stop(): Promise<void> };
      try {
        work = await this.options.work(abort.signal);
      } catch (error) {
        if (abort.signal.aborted) return;
        logger.error({ lease: this.leaseRef(), error: errorMessage(error) }, 'the leader work could not start');
        queueMicrotask(() => this.options.onWorkFailed?.(error as Error));
        return;
      }
      await ended;
      await work.stop().catch((error: unknown) => logger.warn({ error: errorMessage(error) }, 'the leader work did not stop cleanly'));
    })();
    this.running = { abort, stopped };
    this.options.onLeadershipChange?.(true);
  }

  private async endWork(reason: string): Promise<void> {
    const running = this.running;
    if (!running) return;
    this.running = undefined;
    this.options.logger.warn({ lease: this.leaseRef(), reason }, 'stopped leading');
    running.abort.abort(new Error(reason));
    await running.stopped;
    this.options.onLeadershipChange?.(false);
  }

  private async release(): Promise<void> {
    try {
      const lease = await this.read();
      if (!lease?.spec || lease.spec.holderIdentity !== this.identity) return;
      await requestJson(this.options.kubeConfig, 'PUT', `${this.path}/${encodeURIComponent(this.options.name)}`, { ...lease, spec: releasedSpec(lease.spec, this.now()) }, {
        timeoutMs: this.requestTimeoutMs(),
      });
      this.options.logger.info({ lease: this.leaseRef() }, 'released the Lease');
    } catch (error) {
      this.options.logger.warn({ lease: this.leaseRef(), error: errorMessage(error) }, 'cannot release the Lease; a successor waits for it to expire');
    }
  }
}

/** Leader election off: this process is the only writer and leads from the start. */
export class SoleLeader implements Elector {
  readonly identity = 'sole';
  private readonly work: LeaderWork;
  private readonly logger: Logger;
  private running: Promise<{ stop(): Promise<void> } | undefined> | undefined;
  private readonly abort = new AbortController();

  private readonly onWorkFailed: ((error: Error) => void) | undefined;

  constructor(work: LeaderWork, logger: Logger, onWorkFailed?: (error: Error) => void) {
    this.work = work;
    this.logger = logger;
    this.onWorkFailed = onWorkFailed;
  }

  start(): void {
    this.running = this.work(this.abort.signal).catch((error: unknown) => {
      if (this.abort.signal.aborted) return undefined;
      this.logger.error({ error: errorMessage(error) }, 'the leader work could not start');
      this.onWorkFailed?.(error as Error);
      return undefined;
    });
  }

  isLeader(): boolean {
    return !this.abort.signal.aborted;
  }

  async stop(): Promise<void> {
    this.abort.abort(new Error('shutting down'));
    const work = await this.running;
    await work?.stop();
  }
}
