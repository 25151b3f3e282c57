// Scheme, host and port of a remote URL from a Gateway listener (discovery.md section 5):
// HTTPS -> https, HTTP -> http, the listener's port unless it is the scheme's default, IPv6
// addresses in brackets. The WHATWG URL parser does the normalizing (lowercase, IPv6
// compression, default ports) so equal URLs compare equal.

import type { Listener } from '../kubernetes/objects.ts';

export type OriginResult = { origin: string } | { problem: string };

export function schemeOf(listener: Listener): 'https' | 'http' {
  return listener.protocol === 'HTTPS' ? 'https' : 'http';
}

function hostPart(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** `scheme://host[:port]` for a host reached through a listener. */
export function listenerOrigin(listener: Listener, host: string): OriginResult {
  return originOf(schemeOf(listener), host, listener.port);
}

/**
 * Remembers origins for one plan run: thousands of routes share a few Gateway hosts, and
 * parsing a URL is the dearest step of the host walk.
 */
export class OriginCache {
  private readonly origins = new Map<string, OriginResult>();

  of(listener: Listener, host: string): OriginResult {
    const key = `${schemeOf(listener)} ${host} ${listener.port ?? ''}`;
    let origin = this.origins.get(key);
    if (!origin) this.origins.set(key, (origin = listenerOrigin(listener, host)));
    return origin;
  }
}

function originOf(scheme: 'https' | 'http', host: string, listenerPort: number | undefined): OriginResult {
  const port = listenerPort !== undefined ? `:${listenerPort}` : '';
  let url: URL;
  try {
    url = new URL(`${scheme}://${hostPart(host)}${port}/`);
  } catch {
    return { problem: `${JSON.stringify(host.slice(0, 64))} is not a valid host for a URL` };
  }
  return { origin: `${url.protocol}//${url.host}` };
}

/** `path` is already public (paths.ts); an Exact match path stays exactly as written. */
export function remoteUrl(origin: string, path: string): string {
  return `${origin}${path.startsWith('/') ? path : `/${path}`}`;
}
