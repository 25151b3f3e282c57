// The URL host of a remote through one listener (discovery.md section 4): a concrete name
// from the hostname intersection, or the Gateway's own address when the intersection is a
// wildcard or "any". A wildcard never becomes a URL: a request to another name would not
// reach this listener.

import { isWildcard, matchesWildcard, type HostIntersection } from '../gateway-api/hostnames.ts';
import type { Gateway, GatewayAddress } from '../kubernetes/objects.ts';

export interface RemoteHost {
  host: string;
  /** Set when the host is an IP address (TLS clients usually need a name). */
  warning?: string;
}

export interface HostResult {
  hosts: RemoteHost[];
  /** One sentence per intersection result that gave no host. */
  problems: string[];
}

function addressesOfType(gateway: Gateway, type: 'Hostname' | 'IPAddress'): string[] {
  // An address without `type` is an IPAddress (Gateway API default).
  return (gateway.status?.addresses ?? [])
    .filter((address: GatewayAddress) => (address.type ?? 'IPAddress') === type && !!address.value)
    .map((address) => address.value!.toLowerCase());
}

export function hostsThroughListener(intersection: HostIntersection, gateway: Gateway, gatewayLabel: string): HostResult {
  const result: HostResult = { hosts: [], problems: [] };
  if (intersection === null) {
    const hostname = addressesOfType(gateway, 'Hostname')[0];
    if (hostname !== undefined) {
      result.hosts.push({ host: hostname });
      return result;
    }
    const ip = addressesOfType(gateway, 'IPAddress')[0];
    if (ip !== undefined) {
      result.hosts.push({
        host: ip,
        warning: `neither the route nor the listener names a host, so the URL uses the IP address ${ip} of ${gatewayLabel}; TLS clients usually need a name (set spec.hostnames)`,
      });
      return result;
    }
    result.problems.push(`${gatewayLabel} has no address yet`);
    return result;
  }
  for (const name of intersection) {
    if (!isWildcard(name)) {
      result.hosts.push({ host: name.toLowerCase() });
      continue;
    }
    const hostname = addressesOfType(gateway, 'Hostname').find((address) => matchesWildcard(address, name));
    if (hostname !== undefined) result.hosts.push({ host: hostname });
    else result.problems.push(`no concrete hostname for ${name} (no Hostname address of ${gatewayLabel} matches it)`);
  }
  return result;
}
