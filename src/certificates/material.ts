// The certificates as stored (PEM strings and two timestamps), what the rotation rules see
// of them (parsed, checked), and a rotation step carried out on them.

import {
  createCertificateAuthority,
  isSignedBy,
  issueServingCertificate,
  keyMatches,
  readCertificate,
  type KeyAndCertificate,
} from './pki.ts';
import type { CertificateMaterial, ParsedCertificate, RotationPolicy, RotationStep } from './rotation.ts';

export interface StoredCertificates {
  /** The CA that signs leaves (its key never leaves the Secret). */
  signer?: KeyAndCertificate;
  /** PEMs of the trusted CAs: what goes into caBundle. */
  bundle: string[];
  leaf?: KeyAndCertificate;
  /** When the bundle last gained a CA. */
  bundleChangedAt?: number;
  leafChangedAt?: number;
}

function parse(pem: string): ParsedCertificate | undefined {
  try {
    return { pem, facts: readCertificate(pem) };
  } catch {
    return undefined;
  }
}

function parsePair(pair: KeyAndCertificate | undefined): ParsedCertificate | undefined {
  if (!pair) return undefined;
  const parsed = parse(pair.certPem);
  return parsed && keyMatches(pair.certPem, pair.keyPem) ? parsed : undefined;
}

export function assess(stored: StoredCertificates): CertificateMaterial {
  const signer = parsePair(stored.signer);
  const bundle = stored.bundle.map(parse).filter((ca): ca is ParsedCertificate => ca !== undefined);
  const leaf = parsePair(stored.leaf);
  const issuers = [...(signer ? [signer] : []), ...bundle];
  return {
    ...(signer ? { signer } : {}),
    bundle,
    ...(leaf ? { leaf: { ...leaf, signedBy: issuers.find((ca) => isSignedBy(leaf.pem, ca.pem))?.facts.fingerprint } } : {}),
    ...(stored.bundleChangedAt === undefined ? {} : { bundleChangedAt: stored.bundleChangedAt }),
    ...(stored.leafChangedAt === undefined ? {} : { leafChangedAt: stored.leafChangedAt }),
  };
}

export interface IssueOptions {
  /** Common name of new CAs. */
  caCommonName: string;
  /** Extra IP SANs of the leaf (local runs reach the webhook by address). */
  ipAddresses?: readonly string[];
}

/** Carry out a step that changes something; `idle` returns the input. */
export function applyStep(
  stored: StoredCertificates,
  material: CertificateMaterial,
  step: RotationStep,
  policy: RotationPolicy,
  now: number,
  options: IssueOptions,
): StoredCertificates {
  const issueLeaf = (signer: KeyAndCertificate) =>
    issueServingCertificate({ issuer: signer, dnsNames: policy.dnsNames, ipAddresses: options.ipAddresses ?? [], now, validityMs: policy.certificateValidityMs });
  switch (step.kind) {
    case 'new-signer': {
      const signer = createCertificateAuthority({ commonName: options.caCommonName, now, validityMs: policy.caValidityMs });
      // Keep every CA that still verifies something being served, so the switch overlaps.
      const stillValid = material.bundle.filter((ca) => now < ca.facts.notAfter).map((ca) => ca.pem);
      return {
        signer,
        bundle: step.alsoIssueLeaf ? [signer.certPem] : [...stillValid, signer.certPem],
        bundleChangedAt: now,
        ...(step.alsoIssueLeaf ? { leaf: issueLeaf(signer), leafChangedAt: now } : pickLeaf(stored)),
      };
    }
    case 'trust-signer':
      return { ...stored, bundle: [...material.bundle.map((ca) => ca.pem), stored.signer!.certPem], bundleChangedAt: now };
    case 'issue-leaf':
      return { ...stored, leaf: issueLeaf(stored.signer!), leafChangedAt: now };
    case 'trim-bundle':
      // bundleChangedAt marks when the bundle last *gained* a CA; dropping one does not move it.
      return { ...stored, bundle: material.bundle.filter((ca) => step.keep.includes(ca.facts.fingerprint)).map((ca) => ca.pem) };
    case 'idle':
      return stored;
  }
}

function pickLeaf(stored: StoredCertificates): Pick<StoredCertificates, 'leaf' | 'leafChangedAt'> {
  return {
    ...(stored.leaf ? { leaf: stored.leaf } : {}),
    ...(stored.leafChangedAt === undefined ? {} : { leafChangedAt: stored.leafChangedAt }),
  };
}

/** The bundle as the webhook configurations carry it. */
export function bundlePem(stored: StoredCertificates): string {
  return stored.bundle.join('');
}
