// Registry tokens for the upstream MCP registry (research mcp-registry.md §3): anonymous
// login, a bearer token from a file (../token.ts), or a DNS/HTTP proof signed with an
// Ed25519 key. The registry JWT lives 5 minutes: it is refreshed before it expires and
// after a 401, and concurrent requests share one exchange. Tokens and keys never reach a
// message or log.

import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

export type RegistryAuthMode = 'none' | 'token' | 'dns' | 'http';

export interface RegistryAuthConfig {
  mode: RegistryAuthMode;
  tokenFile?: string | undefined;
  keyFile?: string | undefined;
  domain?: string | undefined;
}

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** An Ed25519 private key from PEM (PKCS8) or a 64-hex-character seed. */
export function loadEd25519Key(text: string): KeyObject {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) {
    return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, Buffer.from(trimmed, 'hex')]), format: 'der', type: 'pkcs8' });
  }
  const key = createPrivateKey(trimmed);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`the registry key must be Ed25519, not ${key.asymmetricKeyType}`);
  return key;
}

/** The signed timestamp proof of `/v0.1/auth/dns` and `/v0.1/auth/http`. */
export function domainProof(domain: string, key: KeyObject, now = new Date()): { domain: string; timestamp: string; signed_timestamp: string } {
  const timestamp = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { domain, timestamp, signed_timestamp: sign(null, Buffer.from(timestamp), key).toString('hex') };
}

/** The exchange request for a mode, or undefined for a token read from a file. */
export function exchangeRequest(config: RegistryAuthConfig, now = new Date()): { path: string; body: unknown } | undefined {
  switch (config.mode) {
    case 'none':
      return { path: '/v0.1/auth/none', body: undefined };
    case 'token':
      return undefined;
    case 'dns':
    case 'http': {
      const key = loadEd25519Key(readFileSync(config.keyFile!, 'utf8'));
      return { path: `/v0.1/auth/${config.mode}`, body: domainProof(config.domain!, key, now) };
    }
  }
}
