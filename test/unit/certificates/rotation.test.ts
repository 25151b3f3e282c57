import { describe, expect, it } from 'vitest';
import { applyStep, assess, bundlePem, type StoredCertificates } from '../../../src/certificates/material.ts';
import { isSignedBy, readCertificate, splitPemBundle } from '../../../src/certificates/pki.ts';
import { nextRotationStep, type RotationPolicy } from '../../../src/certificates/rotation.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const T0 = Date.parse('2027-01-01T00:00:00Z');
const NAMES = ['hook.ns.svc', 'hook.ns.svc.cluster.local'];
const policy: RotationPolicy = { caValidityMs: 30 * DAY, certificateValidityMs: 10 * DAY, overlapMs: DAY, dnsNames: NAMES };
const issue = { caCommonName: 'test CA' };

/** Decide and carry out steps until idle; returns the stored state and the steps taken. */
function settle(stored: StoredCertificates, now: number, injected = true, rules = policy) {
  const steps: string[] = [];
  for (let i = 0; i < 10; i++) {
    const material = assess(stored);
    const step = nextRotationStep(material, rules, now, injected);
    if (step.kind === 'idle') return { stored, steps, idle: step };
    steps.push(step.kind);
    stored = applyStep(stored, material, step, rules, now, issue);
  }
  throw new Error(`no idle state after 10 steps: ${steps.join(', ')}`);
}

/** Created at day 0, leaf renewed at days 7 and 14 under the first CA. */
function renewedUntilDay20(): StoredCertificates {
  let stored = settle({ bundle: [] }, T0).stored;
  for (const day of [7, 14]) {
    const round = settle(stored, T0 + day * DAY);
    expect(round.steps).toEqual(['issue-leaf']);
    stored = round.stored;
  }
  return stored;
}

describe('certificate rotation', () => {
  it('creates a CA and a serving certificate with the service names from nothing', () => {
    const { stored, steps, idle } = settle({ bundle: [] }, T0);
    expect(steps).toEqual(['new-signer']);
    const leaf = readCertificate(stored.leaf!.certPem);
    expect(leaf.dnsNames).toEqual(NAMES);
    expect(isSignedBy(stored.leaf!.certPem, stored.signer!.certPem)).toBe(true);
    expect(splitPemBundle(bundlePem(stored))).toEqual([stored.signer!.certPem]);
    // Next look: when a third of the leaf's life is left.
    expect(idle.recheckAt).toBeGreaterThan(T0 + 6 * DAY);
    expect(idle.recheckAt).toBeLessThan(T0 + 7 * DAY);
  });

  it('renews the serving certificate under the same CA at once, leaving the bundle alone', () => {
    const first = settle({ bundle: [] }, T0).stored;
    const later = settle(first, T0 + 7 * DAY);
    expect(later.steps).toEqual(['issue-leaf']);
    expect(later.stored.leaf!.certPem).not.toBe(first.leaf!.certPem);
    expect(bundlePem(later.stored)).toBe(bundlePem(first));
    expect(readCertificate(later.stored.leaf!.certPem).serialNumber).not.toBe(readCertificate(first.leaf!.certPem).serialNumber);
  });

  it('changes CA in three steps: trust both, switch the leaf after the overlap, drop the old CA after another', () => {
    let stored = renewedUntilDay20();
    const oldCA = stored.signer!.certPem;
    // 20 days in: the CA has a third of its life left; the leaf (from day 14) does not.
    let now = T0 + 20 * DAY;
    let round = settle(stored, now);
    expect(round.steps).toEqual(['new-signer']);
    stored = round.stored;
    expect(splitPemBundle(bundlePem(stored))).toEqual([oldCA, stored.signer!.certPem]);
    expect(isSignedBy(stored.leaf!.certPem, oldCA)).toBe(true); // still the old leaf
    expect(round.idle.recheckAt).toBe(now + DAY);

    now += DAY;
    round = settle(stored, now);
    expect(round.steps).toEqual(['issue-leaf']);
    stored = round.stored;
    expect(isSignedBy(stored.leaf!.certPem, stored.signer!.certPem)).toBe(true);
    expect(splitPemBundle(bundlePem(stored))).toHaveLength(2);
    expect(round.idle.waitingFor).toMatch(/every replica/);

    now += DAY;
    round = settle(stored, now);
    expect(round.steps).toEqual(['trim-bundle']);
    expect(splitPemBundle(bundlePem(round.stored))).toEqual([round.stored.signer!.certPem]);
  });

  it('does not switch the leaf to a new CA before the bundle is injected', () => {
    let stored = renewedUntilDay20();
    stored = settle(stored, T0 + 20 * DAY).stored;
    const waiting = settle(stored, T0 + 21 * DAY + HOUR, false);
    expect(waiting.steps).toEqual([]);
    expect(waiting.idle.waitingFor).toMatch(/injected/);
    expect(settle(stored, T0 + 21 * DAY + HOUR, true).steps).toEqual(['issue-leaf']);
  });

  it('re-issues the leaf when the service names change, and when the leaf or its key is damaged', () => {
    const { stored } = settle({ bundle: [] }, T0);
    const renamed = settle(stored, T0 + HOUR, true, { ...policy, dnsNames: ['other.ns.svc'] });
    expect(renamed.steps).toEqual(['issue-leaf']);
    expect(readCertificate(renamed.stored.leaf!.certPem).dnsNames).toEqual(['other.ns.svc']);

    const otherKey = settle({ bundle: [] }, T0).stored.leaf!.keyPem;
    expect(settle({ ...stored, leaf: { certPem: stored.leaf!.certPem, keyPem: otherKey } }, T0 + HOUR).steps).toEqual(['issue-leaf']);
    expect(settle({ ...stored, leaf: { certPem: 'garbage', keyPem: 'garbage' } }, T0 + HOUR).steps).toEqual(['issue-leaf']);
  });

  it('starts over from a broken CA, keeping a served leaf verifiable', () => {
    const { stored } = settle({ bundle: [] }, T0);
    const broken = { ...stored, signer: { certPem: stored.signer!.certPem, keyPem: 'not a key' } };
    const round = settle(broken, T0 + HOUR);
    expect(round.steps[0]).toBe('new-signer');
    // The old CA stays trusted while the old leaf may still be served.
    expect(splitPemBundle(bundlePem(round.stored))).toContain(stored.signer!.certPem);
  });

  it('re-adds the signing CA when someone edited it out of the bundle', () => {
    const { stored } = settle({ bundle: [] }, T0);
    const round = settle({ ...stored, bundle: [] }, T0 + HOUR);
    expect(round.steps).toEqual(['trust-signer']);
    expect(splitPemBundle(bundlePem(round.stored))).toEqual([stored.signer!.certPem]);
  });

  it('over 100 days with lagging pods and API server, what is served always verifies against what is trusted', () => {
    // The API server sees the bundle `apiLag` late; the pods see the leaf `podLag` late; both under the overlap.
    const apiLag = 2 * HOUR;
    const podLag = 20 * HOUR;
    const history: { at: number; stored: StoredCertificates }[] = [];
    let stored: StoredCertificates = { bundle: [] };
    const asOf = (t: number) => [...history].reverse().find((entry) => entry.at <= t)?.stored;
    let failures = 0;
    let caChanges = 0;
    let checks = 0;
    for (let now = T0; now < T0 + 100 * DAY; now += HOUR) {
      // "Injected" means the API server has caught up with the Secret's current bundle.
      const injected = bundlePem(asOf(now - apiLag) ?? { bundle: [] }) === bundlePem(stored);
      const before = stored.signer?.certPem;
      const round = settle(stored, now, injected);
      if (round.stored !== stored) history.push({ at: now, stored: round.stored });
      if (before && round.stored.signer?.certPem !== before) caChanges++;
      stored = round.stored;
      const trusted = asOf(now - apiLag);
      const served = asOf(now - podLag);
      if (!trusted || !served) continue;
      checks++;
      const leaf = served.leaf!.certPem;
      const ok = splitPemBundle(bundlePem(trusted)).some((ca) => isSignedBy(leaf, ca)) && readCertificate(leaf).notAfter > now;
      if (!ok) failures++;
    }
    expect(caChanges).toBeGreaterThanOrEqual(4);
    expect(checks).toBeGreaterThan(2000);
    expect(failures).toBe(0);
  }, 60_000);
});
