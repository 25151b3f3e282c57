// Where a ToolHive MCP resource serves MCP, and with which transport (discovery.md
// section 6): the endpoint path E that a route must reach, and the remote type the
// registry entry announces. The paths are the ones ToolHive's proxy runner serves.

import type { MCPKind } from '../kubernetes/kinds.ts';
import type { MCPRemoteProxy, MCPResource, MCPServer } from '../kubernetes/objects.ts';
import { normalizePath } from './paths.ts';
import type { RemoteType } from './server-entry.ts';

export interface MCPEndpoint {
  /** The path the backend serves MCP on, normalized (no trailing slash). */
  path: string;
  transport: RemoteType;
  /** `spec.endpointPrefix`: the prefix an SSE server puts in front of its message endpoint. */
  endpointPrefix?: string;
}

export type EndpointResult = { endpoint: MCPEndpoint } | { problem: string };

const TRANSPORT_PATHS: Record<RemoteType, string> = { sse: '/sse', 'streamable-http': '/mcp' };

/** The remote type alone: enough for a direct remote, which carries its own URL. */
export function mcpTransport(kind: MCPKind, resource: MCPResource): RemoteType | { problem: string } {
  switch (kind) {
    case 'MCPServer': {
      const spec = (resource as MCPServer).spec ?? {};
      const transport = spec.transport || 'stdio'; // the CRD's default
      if (transport === 'sse' || transport === 'streamable-http') return transport;
      if (transport !== 'stdio') return { problem: `spec.transport ${JSON.stringify(transport)} is not stdio, sse or streamable-http` };
      // A stdio server is reached through the proxy runner, which speaks proxyMode
      // (CRD default streamable-http).
      return spec.proxyMode === 'sse' ? 'sse' : 'streamable-http';
    }
    case 'MCPRemoteProxy': {
      const transport = (resource as MCPRemoteProxy).spec?.transport || 'streamable-http';
      if (transport === 'sse' || transport === 'streamable-http') return transport;
      return { problem: `spec.transport ${JSON.stringify(transport)} is not sse or streamable-http` };
    }
    case 'VirtualMCPServer':
      return 'streamable-http';
  }
}

export function mcpEndpoint(kind: MCPKind, resource: MCPResource): EndpointResult {
  const transport = mcpTransport(kind, resource);
  if (typeof transport !== 'string') return transport;
  const endpointPrefix = (resource as MCPServer | MCPRemoteProxy).spec?.endpointPrefix || undefined;
  const withPrefix = (endpoint: MCPEndpoint): EndpointResult =>
    ({ endpoint: kind !== 'VirtualMCPServer' && endpointPrefix ? { ...endpoint, endpointPrefix } : endpoint });
  if (kind !== 'MCPRemoteProxy') return withPrefix({ path: TRANSPORT_PATHS[transport], transport });
  // The remote proxy forwards to remoteUrl and serves MCP on that URL's path.
  const remoteUrl = (resource as MCPRemoteProxy).spec?.remoteUrl;
  if (!remoteUrl) return withPrefix({ path: '/', transport });
  let pathname: string;
  try {
    pathname = new URL(remoteUrl).pathname;
  } catch {
    return { problem: `spec.remoteUrl ${JSON.stringify(remoteUrl.slice(0, 64))} is not an absolute URL` };
  }
  return withPrefix({ path: normalizePath(pathname || '/'), transport });
}
