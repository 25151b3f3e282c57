// The kinds this project reads, by API group. Versions are not part of identity:
// the contract and the planner treat every served version of a kind alike.

import type { HTTPRoute, KubeObject } from './objects.ts';

export const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';
export const TOOLHIVE_GROUP = 'toolhive.stacklok.dev';

/**
 * The MCP resources (discovery.md section 1): the ToolHive kinds that run or proxy an MCP
 * server behind a Service, so an HTTPRoute can lead to them. MCPServerEntry is not one: it
 * has no Service and no route ever reaches it (see ANNOTATED_MCP_KINDS).
 */
export const MCP_KINDS = ['MCPServer', 'MCPRemoteProxy', 'VirtualMCPServer'] as const;
export type MCPKind = (typeof MCP_KINDS)[number];

/** A remote MCP server that ToolHive's vMCP discovers (discovery.md section 1). */
export const MCP_SERVER_ENTRY_KIND = 'MCPServerEntry';

/**
 * The annotation contract's "MCP kinds" (annotations.md, "Objects in scope"): the objects
 * that carry MCP-side registry annotations and can export themselves with a direct remote.
 * The MCP resources plus MCPServerEntry.
 */
export const ANNOTATED_MCP_KINDS = [...MCP_KINDS, MCP_SERVER_ENTRY_KIND] as const;
export type AnnotatedMCPKind = (typeof ANNOTATED_MCP_KINDS)[number];

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

export function isAnnotatedMCPKind(kind: string | undefined): kind is AnnotatedMCPKind {
  return (ANNOTATED_MCP_KINDS as readonly string[]).includes(kind ?? '');
}

/** An MCP resource or an MCPServerEntry: what the contract judges with the MCP-side keys. */
export function isAnnotatedMCPObject(object: { apiVersion?: string; kind?: string }): boolean {
  return isAnnotatedMCPKind(object.kind) && apiGroupOf(object.apiVersion) === TOOLHIVE_GROUP;
}

export function isMCPServerEntry(object: { apiVersion?: string; kind?: string }): boolean {
  return object.kind === MCP_SERVER_ENTRY_KIND && apiGroupOf(object.apiVersion) === TOOLHIVE_GROUP;
}
