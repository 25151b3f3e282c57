// The kinds this project reads, by API group. Versions are not part of identity:
// the contract and the planner treat every served version of a kind alike.

import type { HTTPRoute, KubeObject } from './objects.ts';

export const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';
export const TOOLHIVE_GROUP = 'toolhive.stacklok.dev';

export const MCP_KINDS = ['MCPServer', 'MCPRemoteProxy', 'VirtualMCPServer'] as const;
export type MCPKind = (typeof MCP_KINDS)[number];

export function apiGroupOf(apiVersion: string | undefined): string {
  if (!apiVersion) return '';
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

export function isHTTPRoute(object: KubeObject): object is HTTPRoute {
  return object.kind === 'HTTPRoute' && apiGroupOf(object.apiVersion) === GATEWAY_API_GROUP;
}

export function isMCPKind(kind: string | undefined): kind is MCPKind {
  return (MCP_KINDS as readonly string[]).includes(kind ?? '');
}

export function isMCPResource(object: { apiVersion?: string; kind?: string }): boolean {
  return isMCPKind(object.kind) && apiGroupOf(object.apiVersion) === TOOLHIVE_GROUP;
}
