// A throwaway CA and serving certificates for tests and benchmarks that talk real HTTPS to
// the webhook (SAN 127.0.0.1 and localhost). Random serials, so a test can tell two
// certificates apart on the wire.

import { randomBytes } from 'node:crypto';
import forge from 'node-forge';

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

function randomSerial(): string {
  // Positive (high bit clear) and without a leading zero byte, so the DER encoding keeps all 16 bytes.
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x10;
  return bytes.toString('hex');
}

function validity(cert: forge.pki.Certificate, days: number): void {
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + days * 86_400_000);
}

export function createThrowawayCA(commonName = 'mcp-registry-export test CA'): ThrowawayCA {
  const caKeys = forge.pki.rsa.generateKeyPair({ bits: 2048 });
  const ca = forge.pki.createCertificate();
  ca.publicKey = caKeys.publicKey;
  ca.serialNumber = randomSerial();
  validity(ca, 2);
  const caSubject = [{ name: 'commonName', value: commonName }];
  ca.setSubject(caSubject);
  ca.setIssuer(caSubject);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.sign(caKeys.privateKey, forge.md.sha256.create());

  return {
    certPem: forge.pki.certificateToPem(ca),
    issue(options = {}) {
      const keys = forge.pki.rsa.generateKeyPair({ bits: 2048 });
      const cert = forge.pki.createCertificate();
      cert.publicKey = keys.publicKey;
      cert.serialNumber = randomSerial();
      validity(cert, options.validDays ?? 1);
      cert.setSubject([{ name: 'commonName', value: options.commonName ?? 'localhost' }]);
      cert.setIssuer(ca.subject.attributes);
      cert.setExtensions([
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
      ]);
      cert.sign(caKeys.privateKey, forge.md.sha256.create());
      return { certPem: forge.pki.certificateToPem(cert), keyPem: forge.pki.privateKeyToPem(keys.privateKey), serialNumber: cert.serialNumber };
    },
  };
}
