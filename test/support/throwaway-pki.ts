// A throwaway CA and serving certificates for tests and benchmarks that talk real HTTPS to
// the webhook (SAN 127.0.0.1 and localhost), made by the product's own src/certificates/pki.ts.
// Random serials, so a test can tell two certificates apart on the wire.

import { createCertificateAuthority, issueServingCertificate, readCertificate } from '../../src/certificates/pki.ts';

const DAY_MS = 86_400_000;

export interface ThrowawayCA {
  certPem: string;
  issue(options?: { commonName?: string; validDays?: number }): ServingCertificate;
}

export interface ServingCertificate {
  certPem: string;
  keyPem: string;
  /** Lower-case hex, as Node's `getPeerCertificate().serialNumber` reports it (upper-cased there). */
  serialNumber: string;
}

export function createThrowawayCA(commonName = 'mcp-registry-export test CA'): ThrowawayCA {
  const ca = createCertificateAuthority({ commonName, now: Date.now(), validityMs: 2 * DAY_MS });
  return {
    certPem: ca.certPem,
    issue(options = {}) {
      const serving = issueServingCertificate({
        issuer: ca,
        dnsNames: ['localhost'],
        ipAddresses: ['127.0.0.1'],
        ...(options.commonName ? { commonName: options.commonName } : {}),
        now: Date.now(),
        validityMs: (options.validDays ?? 1) * DAY_MS,
      });
      return { ...serving, serialNumber: readCertificate(serving.certPem).serialNumber };
    },
  };
}
