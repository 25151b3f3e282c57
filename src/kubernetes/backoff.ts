// Exponential back-off with jitter for restarting informers and retrying discovery: a
// failing API server sees each client's retries spread out instead of in lockstep
// (kubernetes-client/javascript#1933: restart loops that hammer the API server).

export interface BackoffOptions {
  /** First delay, and the floor of every delay (default 1 s). */
  initialMs?: number;
  /** Ceiling of every delay (default 30 s). */
  maxMs?: number;
  /** Each delay is spread by up to ±jitter of itself, then clamped to [initialMs, maxMs] (default 0.2). */
  jitter?: number;
  /** Source of randomness in [0, 1); tests pass a constant. */
  random?: () => number;
}

export const DEFAULT_BACKOFF = { initialMs: 1_000, maxMs: 30_000, jitter: 0.2 } as const;

export class ExponentialBackoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly jitter: number;
  private readonly random: () => number;
  private failures = 0;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? DEFAULT_BACKOFF.initialMs;
    this.maxMs = Math.max(this.initialMs, options.maxMs ?? DEFAULT_BACKOFF.maxMs);
    this.jitter = options.jitter ?? DEFAULT_BACKOFF.jitter;
    this.random = options.random ?? Math.random;
  }

  /** Consecutive failures since the last reset. */
  get attempts(): number {
    return this.failures;
  }

  /** Records one more failure and returns how long to wait before the next attempt. */
  next(): number {
    // 2^failures overflows to Infinity long after the cap applies; Math.min handles that.
    const base = Math.min(this.maxMs, this.initialMs * 2 ** this.failures);
    this.failures++;
    const spread = base * this.jitter * (2 * this.random() - 1);
    return Math.round(Math.min(this.maxMs, Math.max(this.initialMs, base + spread)));
  }

  reset(): void {
    this.failures = 0;
  }
}
