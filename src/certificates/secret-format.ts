// How the certificates live in their Secret. Type kubernetes.io/tls, so cert-manager users
// and tools recognise tls.crt/tls.key/ca.crt; ca.crt is the whole trusted bundle. The
// signing CA's key sits in the same Secret but the chart mounts only tls.crt and tls.key,
// so it never lands on a pod's disk. The two timestamps drive the overlap periods.

import type { StoredCertificates } from './material.ts';
import { splitPemBundle } from './pki.ts';

export const SECRET_KEYS = {
  certificate: 'tls.crt',
  key: 'tls.key',
  bundle: 'ca.crt',
  signerCertificate: 'signing-ca.crt',
  signerKey: 'signing-ca.key',
} as const;

export const ANNOTATIONS = {
  bundleChangedAt: 'mcp-registry-export.dev/ca-bundle-changed-at',
  leafChangedAt: 'mcp-registry-export.dev/certificate-changed-at',
} as const;

export interface SecretObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  type?: string;
  data?: Record<string, string>;
}

function decode(data: Record<string, string> | undefined, key: string): string | undefined {
  const value = data?.[key];
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
}

function time(value: string | undefined): number | undefined {
  const parsed = value === undefined ? NaN : Date.parse(value);
  return Number.isNaN(parsed) ? undefined : parsed;
}

export function storedFromSecret(secret: SecretObject | undefined): StoredCertificates {
  if (!secret) return { bundle: [] };
  const data = secret.data;
  const signerCert = decode(data, SECRET_KEYS.signerCertificate);
  const signerKey = decode(data, SECRET_KEYS.signerKey);
  const leafCert = decode(data, SECRET_KEYS.certificate);
  const leafKey = decode(data, SECRET_KEYS.key);
  const bundleChangedAt = time(secret.metadata.annotations?.[ANNOTATIONS.bundleChangedAt]);
  const leafChangedAt = time(secret.metadata.annotations?.[ANNOTATIONS.leafChangedAt]);
  return {
    ...(signerCert && signerKey ? { signer: { certPem: signerCert, keyPem: signerKey } } : {}),
    bundle: splitPemBundle(decode(data, SECRET_KEYS.bundle) ?? ''),
    ...(leafCert && leafKey ? { leaf: { certPem: leafCert, keyPem: leafKey } } : {}),
    ...(bundleChangedAt === undefined ? {} : { bundleChangedAt }),
    ...(leafChangedAt === undefined ? {} : { leafChangedAt }),
  };
}

const encode = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** The Secret to write: `previous` keeps its resourceVersion, labels and foreign annotations. */
export function secretFromStored(name: string, namespace: string, stored: StoredCertificates, previous?: SecretObject): SecretObject {
  const annotations = { ...previous?.metadata.annotations };
  for (const [field, key] of Object.entries(ANNOTATIONS)) {
    const value = stored[field as keyof typeof ANNOTATIONS];
    if (value === undefined) delete annotations[key];
    else annotations[key] = new Date(value).toISOString();
  }
  const data: Record<string, string> = {
    [SECRET_KEYS.certificate]: encode(stored.leaf?.certPem ?? ''),
    [SECRET_KEYS.key]: encode(stored.leaf?.keyPem ?? ''),
    [SECRET_KEYS.bundle]: encode(stored.bundle.join('')),
  };
  if (stored.signer) {
    data[SECRET_KEYS.signerCertificate] = encode(stored.signer.certPem);
    data[SECRET_KEYS.signerKey] = encode(stored.signer.keyPem);
  }
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name,
      namespace,
      ...(previous?.metadata.resourceVersion ? { resourceVersion: previous.metadata.resourceVersion } : {}),
      labels: { ...previous?.metadata.labels, 'app.kubernetes.io/name': 'mcp-registry-export', 'app.kubernetes.io/component': 'webhook-certificate' },
      annotations,
    },
    type: 'kubernetes.io/tls',
    data,
  };
}
