// Bearer tokens every registry client reads the same way: from a file (a mounted Secret or
// a projected ServiceAccount token, re-read on every refresh because either may rotate),
// with the expiry from the JWT's `exp` when it has one. A token never reaches a message.

import { readFileSync } from 'node:fs';

export interface Token {
  value: string;
  /** Epoch ms after which it must not be used; Infinity when unknown (a given token). */
  expiresAt: number;
}

/** The claims of a JWT, unverified (the registry verifies it). */
export function jwtPayload(token: string): Record<string, unknown> | undefined {
  const part = token.split('.')[1];
  if (!part) return undefined;
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** A token read from the file (re-read on every refresh: a mounted Secret may rotate). */
export function tokenFromFile(file: string): Token {
  const value = readFileSync(file, 'utf8').trim();
  if (!value) throw new Error(`the registry token file ${file} is empty`);
  const exp = jwtPayload(value)?.['exp'];
  return { value, expiresAt: typeof exp === 'number' ? exp * 1000 : Number.POSITIVE_INFINITY };
}
