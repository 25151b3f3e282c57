// Who holds the Lease and what this candidate should write, as a pure function (the rules
// of client-go's leaderelection). Expiry is judged on the *local* clock, from when this
// candidate first saw the current record, never from the holder's renewTime: two
// machines' clocks need not agree, only tick at the same rate.

import { microTime } from '../kubernetes/micro-time.ts';

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface LeaseView {
  /** undefined: there is no Lease object yet. */
  spec: LeaseSpec | undefined;
  /** Local time at which this exact spec was first seen. */
  observedAt: number;
}

export type LeaseDecision =
  | { action: 'create'; spec: LeaseSpec }
  | { action: 'renew'; spec: LeaseSpec }
  | { action: 'acquire'; spec: LeaseSpec; previousHolder: string | undefined }
  | { action: 'wait'; holder: string; until: number };

export function decideLease(view: LeaseView, identity: string, leaseDurationMs: number, now: number): LeaseDecision {
  const seconds = Math.max(1, Math.ceil(leaseDurationMs / 1000));
  const stamp = microTime(now);
  const { spec } = view;
  if (!spec) {
    return { action: 'create', spec: { holderIdentity: identity, leaseDurationSeconds: seconds, acquireTime: stamp, renewTime: stamp, leaseTransitions: 0 } };
  }
  const holder = spec.holderIdentity ?? '';
  if (holder === identity) {
    return { action: 'renew', spec: { ...spec, leaseDurationSeconds: seconds, renewTime: stamp } };
  }
  const expiresAt = view.observedAt + (spec.leaseDurationSeconds ?? seconds) * 1000;
  if (holder !== '' && now < expiresAt) return { action: 'wait', holder, until: expiresAt };
  return {
    action: 'acquire',
    previousHolder: holder || undefined,
    spec: { holderIdentity: identity, leaseDurationSeconds: seconds, acquireTime: stamp, renewTime: stamp, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 },
  };
}

/** What a holder writes on a clean shutdown: nobody holds it, so a successor need not wait. */
export function releasedSpec(spec: LeaseSpec, now: number): LeaseSpec {
  const stamp = microTime(now);
  return { leaseTransitions: spec.leaseTransitions ?? 0, leaseDurationSeconds: 1, acquireTime: stamp, renewTime: stamp, holderIdentity: '' };
}
