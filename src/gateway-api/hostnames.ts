// Hostname intersection between an HTTPRoute and a listener, as Gateway API defines it:
// a missing hostname on either side means "any"; `*.example.com` matches one or more
// labels in front of `example.com`, never `example.com` itself; the result of a match is
// the more specific of the two names.

/** null: neither side restricts the host ("any"); []: no intersection. */
export type HostIntersection = string[] | null;

export function isWildcard(hostname: string): boolean {
  return hostname.startsWith('*.');
}

/** Does `hostname` (concrete or wildcard) fall under `wildcard` (`*.suffix`)? */
export function matchesWildcard(hostname: string, wildcard: string): boolean {
  const suffix = wildcard.slice(1); // ".example.com"
  const name = isWildcard(hostname) ? hostname.slice(1) : hostname;
  // A wildcard covers itself; otherwise at least one label must stand in front.
  if (isWildcard(hostname) && name === suffix) return true;
  return name.length > suffix.length && name.endsWith(suffix) && !name.slice(0, -suffix.length).endsWith('.');
}

function intersectOne(routeHost: string, listenerHost: string): string | undefined {
  const route = routeHost.toLowerCase();
  const listener = listenerHost.toLowerCase();
  if (route === listener) return route;
  if (isWildcard(listener) && matchesWildcard(route, listener)) return route;
  if (isWildcard(route) && matchesWildcard(listener, route)) return listener;
  return undefined;
}

export function intersectHostnames(
  routeHostnames: readonly string[] | undefined,
  listenerHostname: string | undefined,
): HostIntersection {
  const routeHosts = (routeHostnames ?? []).filter((host) => host !== '');
  if (!listenerHostname) return routeHosts.length === 0 ? null : dedupe(routeHosts.map((h) => h.toLowerCase()));
  if (routeHosts.length === 0) return [listenerHostname.toLowerCase()];
  const result: string[] = [];
  for (const host of routeHosts) {
    const match = intersectOne(host, listenerHostname);
    if (match !== undefined) result.push(match);
  }
  return dedupe(result);
}

function dedupe(hosts: string[]): string[] {
  if (hosts.length < 2) return hosts; // the common case; no Set per listener and route
  return hosts.filter((host, index) => hosts.indexOf(host) === index);
}
