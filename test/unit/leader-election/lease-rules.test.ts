import { describe, expect, it } from 'vitest';
import { microTime } from '../../../src/kubernetes/micro-time.ts';
import { decideLease, releasedSpec } from '../../../src/leader-election/lease-rules.ts';

const NOW = Date.parse('2027-01-01T00:00:00Z');
const DURATION = 15_000;

describe('lease rules', () => {
  it('creates the Lease when there is none', () => {
    const decision = decideLease({ spec: undefined, observedAt: NOW }, 'me', DURATION, NOW);
    expect(decision).toEqual({
      action: 'create',
      spec: { holderIdentity: 'me', leaseDurationSeconds: 15, acquireTime: '2027-01-01T00:00:00.000000Z', renewTime: '2027-01-01T00:00:00.000000Z', leaseTransitions: 0 },
    });
  });

  it('renews its own Lease, keeping acquireTime and the transition count', () => {
    const spec = { holderIdentity: 'me', leaseDurationSeconds: 15, acquireTime: microTime(NOW - 60_000), renewTime: microTime(NOW - 2_000), leaseTransitions: 3 };
    const decision = decideLease({ spec, observedAt: NOW - 2_000 }, 'me', DURATION, NOW);
    expect(decision).toEqual({ action: 'renew', spec: { ...spec, renewTime: microTime(NOW) } });
  });

  it("waits while another holder's Lease is fresh by the local clock, whatever its renewTime says", () => {
    // The holder's clock runs an hour behind: its renewTime looks stale, but we saw it change just now.
    const spec = { holderIdentity: 'other', leaseDurationSeconds: 15, renewTime: microTime(NOW - 3_600_000), leaseTransitions: 1 };
    expect(decideLease({ spec, observedAt: NOW - 1_000 }, 'me', DURATION, NOW)).toEqual({ action: 'wait', holder: 'other', until: NOW + 14_000 });
  });

  it("takes over once the other holder's record has not changed for its lease duration", () => {
    const spec = { holderIdentity: 'other', leaseDurationSeconds: 15, renewTime: microTime(NOW + 3_600_000), leaseTransitions: 1 };
    const decision = decideLease({ spec, observedAt: NOW - 15_000 }, 'me', DURATION, NOW);
    expect(decision).toMatchObject({ action: 'acquire', previousHolder: 'other', spec: { holderIdentity: 'me', leaseTransitions: 2 } });
  });

  it('takes a released Lease at once', () => {
    const released = releasedSpec({ holderIdentity: 'other', leaseTransitions: 4, leaseDurationSeconds: 15 }, NOW);
    expect(released.holderIdentity).toBe('');
    const decision = decideLease({ spec: released, observedAt: NOW }, 'me', DURATION, NOW);
    expect(decision).toMatchObject({ action: 'acquire', previousHolder: undefined, spec: { holderIdentity: 'me', leaseTransitions: 5 } });
  });
});
