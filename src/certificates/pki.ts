// Making and reading the webhook's certificates. node-forge builds them (RSA 2048, SHA-256,
// random 128-bit serials, notBefore back by an hour, or a tenth of a short lifetime, for
// clock skew); Node's own X509Certificate
// reads them, because it parses exactly what OpenSSL (and so the TLS server) will accept.

import { randomBytes, X509Certificate, createPrivateKey } from 'node:crypto';
import forge from 'node-forge';

export interface KeyAndCertificate {
  certPem: string;
  keyPem: string;
}

/** What the rotation rules need to know about one certificate. */
export interface CertificateFacts {
  /** SHA-256 of the DER, upper-case hex with colons (Node's fingerprint256). */
  fingerprint: string;
  serialNumber: string;
  subject: string;
  notBefore: number;
  notAfter: number;
  isCA: boolean;
  dnsNames: string[];
}

const CLOCK_SKEW_MS = 60 * 60_000;

// forge writes CRLF; the Secret, the bundle and the files on disk use plain LF.
const lf = (pem: string) => pem.replace(/\r\n/g, '\n');

function randomSerial(): string {
  // Positive and without a leading zero byte, so all 16 bytes survive the DER encoding.
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x10;
  return bytes.toString('hex');
}

function newCertificate(publicKey: forge.pki.PublicKey, now: number, notAfter: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = randomSerial();
  cert.validity.notBefore = new Date(now - Math.min(CLOCK_SKEW_MS, Math.floor((notAfter - now) / 10)));
  cert.validity.notAfter = new Date(notAfter);
  return cert;
}

export interface CertificateAuthorityRequest {
  commonName: string;
  now: number;
  validityMs: number;
}

export function createCertificateAuthority(request: CertificateAuthorityRequest): KeyAndCertificate {
  const keys = forge.pki.rsa.generateKeyPair({ bits: 2048 });
  const cert = newCertificate(keys.publicKey, request.now, request.now + request.validityMs);
  const subject = [
    { name: 'commonName', value: request.commonName },
    { name: 'organizationName', value: 'mcp-registry-export' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { certPem: lf(forge.pki.certificateToPem(cert)), keyPem: lf(forge.pki.privateKeyToPem(keys.privateKey)) };
}

export interface ServingCertificateRequest {
  issuer: KeyAndCertificate;
  dnsNames: readonly string[];
  ipAddresses?: readonly string[];
  /** Default: the first name. */
  commonName?: string;
  now: number;
  validityMs: number;
}

/** A TLS server certificate signed by `issuer`; it never outlives the issuer. */
export function issueServingCertificate(request: ServingCertificateRequest): KeyAndCertificate {
  const issuerCert = forge.pki.certificateFromPem(request.issuer.certPem);
  const issuerKey = forge.pki.privateKeyFromPem(request.issuer.keyPem);
  const keys = forge.pki.rsa.generateKeyPair({ bits: 2048 });
  const notAfter = Math.min(request.now + request.validityMs, issuerCert.validity.notAfter.getTime());
  const cert = newCertificate(keys.publicKey, request.now, notAfter);
  cert.setSubject([{ name: 'commonName', value: request.commonName ?? request.dnsNames[0] ?? request.ipAddresses?.[0] ?? 'mcp-registry-export' }]);
  cert.setIssuer(issuerCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'authorityKeyIdentifier', keyIdentifier: issuerCert.generateSubjectKeyIdentifier().getBytes() },
    {
      name: 'subjectAltName',
      altNames: [...request.dnsNames.map((value) => ({ type: 2, value })), ...(request.ipAddresses ?? []).map((ip) => ({ type: 7, ip }))],
    },
  ]);
  cert.sign(issuerKey, forge.md.sha256.create());
  return { certPem: lf(forge.pki.certificateToPem(cert)), keyPem: lf(forge.pki.privateKeyToPem(keys.privateKey)) };
}

/** The PEM blocks of a bundle, in order; anything between blocks is ignored. */
export function splitPemBundle(pem: string): string[] {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map((match) => `${match[0]}\n`);
}

function dnsNamesOf(certificate: X509Certificate): string[] {
  // "DNS:a, DNS:b, IP Address:1.2.3.4"; names cannot hold ", " in a certificate we accept.
  return (certificate.subjectAltName ?? '')
    .split(', ')
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice(4));
}

/** Facts of one PEM certificate; throws on anything OpenSSL would not load. */
export function readCertificate(pem: string): CertificateFacts {
  const certificate = new X509Certificate(pem);
  return {
    fingerprint: certificate.fingerprint256,
    serialNumber: certificate.serialNumber.toLowerCase(),
    subject: certificate.subject,
    notBefore: Date.parse(certificate.validFrom),
    notAfter: Date.parse(certificate.validTo),
    isCA: certificate.ca,
    dnsNames: dnsNamesOf(certificate),
  };
}

/** Whether `issuerPem`'s key signed `certPem` (and the names chain up). */
export function isSignedBy(certPem: string, issuerPem: string): boolean {
  try {
    const certificate = new X509Certificate(certPem);
    const issuer = new X509Certificate(issuerPem);
    return certificate.checkIssued(issuer) && certificate.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/** Whether the private key belongs to the certificate. */
export function keyMatches(certPem: string, keyPem: string): boolean {
  try {
    return new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}
