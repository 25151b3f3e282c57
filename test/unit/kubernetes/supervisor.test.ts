// The restart logic under the informers, on fake timers: back-off growth, cap, jitter and
// reset; replacement of failed and of healthy runs; nothing scheduled after stop().

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ExponentialBackoff } from '../../../src/kubernetes/backoff.ts';
import { Supervisor, type SupervisedRun } from '../../../src/kubernetes/supervisor.ts';

describe('ExponentialBackoff', () => {
  it('doubles from 1 s to the 30 s cap without jitter', () => {
    const backoff = new ExponentialBackoff({ jitter: 0 });
    expect(Array.from({ length: 8 }, () => backoff.next())).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
    expect(backoff.attempts).toBe(8);
    backoff.reset();
    expect(backoff.next()).toBe(1_000);
  });

  it('spreads each delay by the jitter and keeps it within [initial, max]', () => {
    const low = new ExponentialBackoff({ random: () => 0 });
    const high = new ExponentialBackoff({ random: () => 0.999999 });
    const lows = Array.from({ length: 7 }, () => low.next());
    const highs = Array.from({ length: 7 }, () => high.next());
    expect(lows).toEqual([1_000, 1_600, 3_200, 6_400, 12_800, 24_000, 24_000]);
    expect(highs).toEqual([1_200, 2_400, 4_800, 9_600, 19_200, 30_000, 30_000]);
  });

  it('never overflows after many failures', () => {
    const backoff = new ExponentialBackoff({ jitter: 0 });
    for (let i = 0; i < 2_000; i++) backoff.next();
    expect(backoff.next()).toBe(30_000);
  });
});

describe('Supervisor', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function harness(options: { refreshEveryMs?: number; healthyAfterMs?: number } = {}) {
    const runs: SupervisedRun[] = [];
    const failures: { error: unknown; retryInMs: number }[] = [];
    const supervisor = new Supervisor({
      start: (run) => {
        runs.push(run);
      },
      backoff: { jitter: 0 },
      onFailure: (error, retryInMs) => failures.push({ error, retryInMs }),
      ...options,
    });
    return { supervisor, runs, failures };
  }

  it('replaces a failed run after a growing back-off', () => {
    const { supervisor, runs, failures } = harness();
    supervisor.start();
    expect(runs).toHaveLength(1);

    runs[0]!.fail(new Error('watch failed'));
    expect(runs[0]!.signal.aborted).toBe(true);
    expect(supervisor.backingOff).toBe(true);
    vi.advanceTimersByTime(999);
    expect(runs).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(runs).toHaveLength(2);
    expect(supervisor.restarts).toBe(1);

    runs[1]!.fail(new Error('again'));
    vi.advanceTimersByTime(1_999);
    expect(runs).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(runs).toHaveLength(3);
    expect(failures.map((failure) => failure.retryInMs)).toEqual([1_000, 2_000]);
    expect(supervisor.failures).toBe(2);
    expect((supervisor.lastError as Error).message).toBe('again');
    supervisor.stop();
  });

  it('ignores failures of runs that are already over, and repeated failures of one run', () => {
    const { supervisor, runs } = harness();
    supervisor.start();
    const first = runs[0]!;
    first.fail(new Error('one'));
    first.fail(new Error('two'));
    vi.advanceTimersByTime(1_000);
    expect(runs).toHaveLength(2);
    first.fail(new Error('late error from the torn-down watch'));
    expect(supervisor.failures).toBe(1);
    expect(runs[1]!.signal.aborted).toBe(false);
    supervisor.stop();
  });

  it('treats a start function that throws or rejects as a failure', async () => {
    let calls = 0;
    const supervisor = new Supervisor({
      start: async () => {
        calls++;
        if (calls === 1) throw new Error('cannot start');
      },
      backoff: { jitter: 0 },
    });
    supervisor.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(supervisor.failures).toBe(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls).toBe(2);
    supervisor.stop();
  });

  it('starts the back-off over after a run that stayed healthy long enough', () => {
    const { supervisor, runs, failures } = harness({ healthyAfterMs: 60_000 });
    supervisor.start();
    for (let i = 0; i < 4; i++) {
      runs.at(-1)!.fail(new Error('flapping'));
      vi.runOnlyPendingTimers();
    }
    expect(failures.map((failure) => failure.retryInMs)).toEqual([1_000, 2_000, 4_000, 8_000]);
    vi.advanceTimersByTime(60_000);
    runs.at(-1)!.fail(new Error('after a healthy minute'));
    expect(failures.at(-1)!.retryInMs).toBe(1_000);
    supervisor.stop();
  });

  it('starts the back-off over when a run lived long enough to be refreshed', () => {
    const { supervisor, runs, failures } = harness({ refreshEveryMs: 600_000, healthyAfterMs: 60_000 });
    supervisor.start();
    for (let i = 0; i < 3; i++) {
      runs.at(-1)!.fail(new Error('outage'));
      vi.runOnlyPendingTimers();
    }
    vi.advanceTimersByTime(600_000);
    expect(supervisor.refreshes).toBe(1);
    runs.at(-1)!.fail(new Error('right after the refresh'));
    expect(failures.map((failure) => failure.retryInMs)).toEqual([1_000, 2_000, 4_000, 1_000]);
    supervisor.stop();
  });

  it('replaces a healthy run every refresh interval (the periodic relist)', () => {
    const { supervisor, runs } = harness({ refreshEveryMs: 600_000 });
    supervisor.start();
    vi.advanceTimersByTime(600_000);
    expect(runs).toHaveLength(2);
    expect(runs[0]!.signal.aborted).toBe(true);
    vi.advanceTimersByTime(600_000);
    expect(runs).toHaveLength(3);
    expect(supervisor.refreshes).toBe(2);
    expect(supervisor.restarts).toBe(0);

    // A failure cancels the pending refresh; the replacement schedules its own.
    runs[2]!.fail(new Error('boom'));
    vi.advanceTimersByTime(1_000);
    expect(runs).toHaveLength(4);
    vi.advanceTimersByTime(599_999);
    expect(runs).toHaveLength(4);
    vi.advanceTimersByTime(1);
    expect(runs).toHaveLength(5);
    supervisor.stop();
  });

  it('restartNow replaces the run at once, also during a back-off', () => {
    const { supervisor, runs } = harness();
    supervisor.start();
    supervisor.restartNow();
    expect(runs).toHaveLength(2);
    expect(runs[0]!.signal.aborted).toBe(true);
    runs[1]!.fail(new Error('x'));
    supervisor.restartNow();
    expect(runs).toHaveLength(3);
    vi.advanceTimersByTime(60_000);
    expect(runs).toHaveLength(3);
    supervisor.stop();
  });

  it('leaves no timer behind after stop(), in every state', () => {
    const { supervisor, runs } = harness({ refreshEveryMs: 1_000 });
    supervisor.start();
    supervisor.stop();
    expect(runs[0]!.signal.aborted).toBe(true);
    expect(vi.getTimerCount()).toBe(0);

    supervisor.start();
    runs.at(-1)!.fail(new Error('into back-off'));
    expect(vi.getTimerCount()).toBe(1);
    supervisor.stop();
    expect(vi.getTimerCount()).toBe(0);
    expect(supervisor.isRunning).toBe(false);
    runs.at(-1)!.fail(new Error('after stop'));
    expect(vi.getTimerCount()).toBe(0);
  });
});
