// When to make a new CA, when to issue a new serving certificate, when to drop an old CA
// from the bundle: a pure function of what the Secret holds and the time.
//
// The API server trusts the bundle (caBundle of the webhook configurations); the pods serve
// the leaf (mounted from the Secret, which the kubelet refreshes a minute or so late). A CA
// change therefore goes in three steps, each one safe whichever side lags:
//   1. add the new CA to the bundle (the API server trusts old and new),
//   2. after `overlap`, and once the bundle is injected, issue the leaf from the new CA,
//   3. after another `overlap` (every pod serves the new leaf by then), drop the old CA.
// A leaf renewal under the same CA needs no overlap: the bundle does not change.

import type { CertificateFacts } from './pki.ts';

export interface RotationPolicy {
  caValidityMs: number;
  certificateValidityMs: number;
  /** How long both CAs stay trusted around a CA change (covers kubelet and API server lag). */
  overlapMs: number;
  dnsNames: readonly string[];
}

export interface ParsedCertificate {
  pem: string;
  facts: CertificateFacts;
}

/** What the Secret holds, parsed; anything unreadable is simply absent. */
export interface CertificateMaterial {
  /** The CA that signs new leaves, when its certificate and key load and match. */
  signer?: ParsedCertificate;
  /** The CAs the API server is told to trust, in order. */
  bundle: ParsedCertificate[];
  /** The serving certificate, when it and its key load and match. */
  leaf?: ParsedCertificate & { signedBy: string | undefined };
  bundleChangedAt?: number;
  leafChangedAt?: number;
}

export type RotationStep =
  | { kind: 'new-signer'; reason: string; alsoIssueLeaf: boolean }
  | { kind: 'trust-signer'; reason: string }
  | { kind: 'issue-leaf'; reason: string }
  | { kind: 'trim-bundle'; keep: string[]; reason: string }
  | { kind: 'idle'; recheckAt: number; waitingFor?: string };

/** A certificate is due for renewal when a third of its life is left. */
export function renewalTime(facts: CertificateFacts): number {
  return facts.notAfter - Math.floor((facts.notAfter - facts.notBefore) / 3);
}

function sameNames(facts: CertificateFacts, wanted: readonly string[]): boolean {
  const have = new Set(facts.dnsNames);
  return have.size === new Set(wanted).size && wanted.every((name) => have.has(name));
}

function isValidAt(facts: CertificateFacts, now: number): boolean {
  return facts.notBefore <= now && now < facts.notAfter;
}

function signerProblem(material: CertificateMaterial, now: number): string | undefined {
  const { signer } = material;
  if (!signer) return 'there is no CA yet';
  if (!signer.facts.isCA) return 'the signing certificate is not a CA';
  if (!isValidAt(signer.facts, now)) return `the CA expired at ${new Date(signer.facts.notAfter).toISOString()}`;
  if (now >= renewalTime(signer.facts)) return `the CA expires at ${new Date(signer.facts.notAfter).toISOString()}`;
  return undefined;
}

function leafProblem(material: CertificateMaterial, policy: RotationPolicy, now: number): string | undefined {
  const { leaf, signer } = material;
  if (!leaf) return 'there is no serving certificate yet';
  if (!isValidAt(leaf.facts, now)) return `the serving certificate expired at ${new Date(leaf.facts.notAfter).toISOString()}`;
  if (signer && leaf.signedBy !== signer.facts.fingerprint) return 'the serving certificate was signed by another CA';
  if (!sameNames(leaf.facts, policy.dnsNames)) return `the serving certificate names ${leaf.facts.dnsNames.join(', ') || 'nothing'}, not ${policy.dnsNames.join(', ')}`;
  if (now >= renewalTime(leaf.facts)) return `the serving certificate expires at ${new Date(leaf.facts.notAfter).toISOString()}`;
  return undefined;
}

/** The leaf verifies against a CA the API server trusts: serving it does not fail admissions. */
function leafIsServable(material: CertificateMaterial, now: number): boolean {
  const { leaf } = material;
  return leaf !== undefined && isValidAt(leaf.facts, now) && material.bundle.some((ca) => ca.facts.fingerprint === leaf.signedBy);
}

/**
 * The next step. `injected` says whether both webhook configurations carry the Secret's
 * bundle now; a leaf from a new CA waits for it.
 */
export function nextRotationStep(material: CertificateMaterial, policy: RotationPolicy, now: number, injected: boolean): RotationStep {
  const signerIssue = signerProblem(material, now);
  if (signerIssue) {
    return { kind: 'new-signer', reason: signerIssue, alsoIssueLeaf: !leafIsServable(material, now) };
  }
  const signer = material.signer!;
  if (!material.bundle.some((ca) => ca.facts.fingerprint === signer.facts.fingerprint)) {
    return { kind: 'trust-signer', reason: 'the bundle does not hold the signing CA' };
  }

  const leafIssue = leafProblem(material, policy, now);
  if (leafIssue) {
    const signerTrustedSince = material.bundleChangedAt ?? 0;
    const switchesCA = material.leaf?.signedBy !== signer.facts.fingerprint;
    if (switchesCA && leafIsServable(material, now)) {
      // The current leaf still works; a leaf from a CA the API server may not trust yet would not.
      if (now < signerTrustedSince + policy.overlapMs) {
        return { kind: 'idle', recheckAt: signerTrustedSince + policy.overlapMs, waitingFor: `the new CA to be trusted everywhere (${leafIssue})` };
      }
      if (!injected) return { kind: 'idle', recheckAt: now + policy.overlapMs, waitingFor: `the bundle to be injected (${leafIssue})` };
    }
    return { kind: 'issue-leaf', reason: leafIssue };
  }

  const others = material.bundle.filter((ca) => ca.facts.fingerprint !== signer.facts.fingerprint);
  if (others.length > 0) {
    const expired = others.filter((ca) => now >= ca.facts.notAfter);
    if (expired.length > 0) {
      return { kind: 'trim-bundle', keep: material.bundle.filter((ca) => !expired.includes(ca)).map((ca) => ca.facts.fingerprint), reason: 'a CA in the bundle expired' };
    }
    const leafServedSince = material.leafChangedAt ?? 0;
    if (now < leafServedSince + policy.overlapMs) {
      return { kind: 'idle', recheckAt: leafServedSince + policy.overlapMs, waitingFor: 'every replica to serve the new certificate before the old CA is dropped' };
    }
    return { kind: 'trim-bundle', keep: [signer.facts.fingerprint], reason: 'the old CA signs nothing that is served any more' };
  }

  return { kind: 'idle', recheckAt: Math.min(renewalTime(signer.facts), renewalTime(material.leaf!.facts)) };
}
