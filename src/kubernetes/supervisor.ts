// Keeps one long-running "run" (an informer's list+watch) alive: a run that fails is torn
// down and replaced after an exponential back-off, and a healthy run is still replaced
// every `refreshEveryMs` so a watch that died without an error cannot leave the cache
// stale forever. client-node's ListWatch stops for good on any error but 410 and has a
// history of dying silently (shared/research/anchors.md §6); this is the caller-side
// restart it needs.

import { ExponentialBackoff, type BackoffOptions } from './backoff.ts';
import { timerDelay } from './timers.ts';

export interface SupervisedRun {
  /** Aborted when this run is over (failed, replaced, or the supervisor stopped): tear down on it. */
  readonly signal: AbortSignal;
  /** Reports that the run is broken; the supervisor replaces it after back-off. Ignored once the run is over. */
  fail(error: unknown): void;
}

export type RunStarter = (run: SupervisedRun) => void | Promise<void>;

export interface SupervisorOptions {
  /** Starts one run; throwing or rejecting counts as `fail`. */
  start: RunStarter;
  backoff?: BackoffOptions;
  /** Replace a healthy run this often (the periodic full relist); 0 or absent: never. */
  refreshEveryMs?: number;
  /** A run that lived this long before failing was healthy: the back-off starts over (default 60 s). */
  healthyAfterMs?: number;
  /** Called for every failure of a current run, with the delay before its replacement. */
  onFailure?: (error: unknown, retryInMs: number) => void;
}

interface Run {
  controller: AbortController;
  startedAt: number;
}

export const DEFAULT_HEALTHY_AFTER_MS = 60_000;

export class Supervisor {
  private readonly options: SupervisorOptions;
  private readonly backoff: ExponentialBackoff;
  private current: Run | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private restartCount = 0;
  private refreshCount = 0;
  private failureCount = 0;
  private lastFailure: unknown;

  constructor(options: SupervisorOptions) {
    this.options = options;
    this.backoff = new ExponentialBackoff(options.backoff);
  }

  /** Runs started to replace a failed one. */
  get restarts(): number {
    return this.restartCount;
  }

  /** Healthy runs replaced on schedule (`refreshEveryMs`). */
  get refreshes(): number {
    return this.refreshCount;
  }

  /** Failures reported by current runs. */
  get failures(): number {
    return this.failureCount;
  }

  get lastError(): unknown {
    return this.lastFailure;
  }

  /** True between a failure and the start of its replacement. */
  get backingOff(): boolean {
    return this.running && this.current === undefined;
  }

  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.backoff.reset();
    this.launch();
  }

  /** Ends the current run, or the wait for one, at once; nothing is left scheduled. */
  stop(): void {
    this.running = false;
    this.clearTimer();
    this.end();
  }

  /** Replaces the current run now, e.g. because what it should watch changed. */
  restartNow(): void {
    if (!this.running) return;
    this.clearTimer();
    this.end();
    this.launch();
  }

  private launch(): void {
    const run: Run = { controller: new AbortController(), startedAt: Date.now() };
    this.current = run;
    const refreshEveryMs = this.options.refreshEveryMs ?? 0;
    if (refreshEveryMs > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.refreshCount++;
        if (this.livedHealthy(run)) this.backoff.reset();
        this.end();
        this.launch();
      }, timerDelay(refreshEveryMs));
    }
    const context: SupervisedRun = { signal: run.controller.signal, fail: (error) => this.failed(run, error) };
    try {
      const started = this.options.start(context);
      if (started) started.catch((error: unknown) => this.failed(run, error));
    } catch (error) {
      this.failed(run, error);
    }
  }

  private failed(run: Run, error: unknown): void {
    if (run !== this.current || !this.running) return;
    this.clearTimer();
    this.end();
    this.failureCount++;
    this.lastFailure = error;
    if (this.livedHealthy(run)) this.backoff.reset();
    const delay = this.backoff.next();
    this.options.onFailure?.(error, delay);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.restartCount++;
      this.launch();
    }, delay);
  }

  private livedHealthy(run: Run): boolean {
    return Date.now() - run.startedAt >= (this.options.healthyAfterMs ?? DEFAULT_HEALTHY_AFTER_MS);
  }

  private end(): void {
    const run = this.current;
    this.current = undefined;
    run?.controller.abort(new Error('informer run ended'));
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
