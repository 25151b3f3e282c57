// Builders for the planner's tables: a GatewayClass, Gateways with listeners, HTTPRoutes
// whose status the Gateway's controller has accepted (unless a case says otherwise),
// ToolHive resources whose operator has reported them ready (likewise); and `planValid`,
// which plans and asserts that every entry passes the official server.json schema and the
// registry's stricter rules.

import { expect } from 'vitest';
import type { ClusterLookups } from '../../../src/cluster/lookups.ts';
import type {
  Gateway,
  GatewayAddress,
  HTTPRoute,
  HTTPRouteRule,
  KubeObject,
  Listener,
  ParentReference,
  RouteParentStatus,
} from '../../../src/kubernetes/objects.ts';
import { entryProblems, officialSchemaProblems } from '../../../src/planner/entry-schema.ts';
import { resolvePlanOptions, type PlanOptions } from '../../../src/planner/options.ts';
import { plan } from '../../../src/planner/plan.ts';
import type { PlanResult } from '../../../src/planner/result.ts';

export const P = 'toolhive.stacklok.dev/';
export const CONTROLLER = 'example.com/gateway-controller';
export const EXPORT = { [`${P}registry-export`]: 'true' };

export function annotations(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [key.includes('/') ? key : `${P}${key}`, value]));
}

export function gatewayClass(name = 'public', controllerName: string | null = CONTROLLER): KubeObject {
  return { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name }, spec: controllerName ? { controllerName } : {} };
}

export function namespace(name: string, labels: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
}

export function https(extra: Partial<Listener> = {}): Listener {
  return { name: 'https', protocol: 'HTTPS', port: 443, allowedRoutes: { namespaces: { from: 'All' } }, ...extra };
}

export function http(extra: Partial<Listener> = {}): Listener {
  return { name: 'http', protocol: 'HTTP', port: 80, allowedRoutes: { namespaces: { from: 'All' } }, ...extra };
}

export interface GatewayOptions {
  namespace?: string;
  name?: string;
  className?: string;
  listeners?: Listener[];
  addresses?: GatewayAddress[];
  deleting?: boolean;
}

export function gateway(options: GatewayOptions = {}): Gateway {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: {
      name: options.name ?? 'public',
      namespace: options.namespace ?? 'infra',
      ...(options.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
    },
    spec: { gatewayClassName: options.className ?? 'public', listeners: options.listeners ?? [https()] },
    status: { addresses: options.addresses ?? [{ type: 'IPAddress', value: '203.0.113.10' }] },
  };
}

export function acceptedBy(parentRef: ParentReference, generation = 1, controllerName = CONTROLLER): RouteParentStatus {
  return {
    parentRef,
    controllerName,
    conditions: [
      { type: 'Accepted', status: 'True', reason: 'Accepted', observedGeneration: generation },
      { type: 'ResolvedRefs', status: 'True', reason: 'ResolvedRefs', observedGeneration: generation },
    ],
  };
}

export interface RouteOptions {
  namespace?: string;
  name?: string;
  annotations?: Record<string, string>;
  parentRefs?: ParentReference[];
  hostnames?: string[];
  rules?: HTTPRouteRule[];
  /** Default: every parentRef accepted by CONTROLLER for the current generation. */
  statusParents?: RouteParentStatus[];
  generation?: number;
  uid?: string;
  deleting?: boolean;
}

export const PUBLIC: ParentReference = { name: 'public', namespace: 'infra' };

export function backendTo(service: string, extra: Partial<HTTPRouteRule> = {}): HTTPRouteRule {
  return { backendRefs: [{ name: service, port: 8080 }], ...extra };
}

export function route(options: RouteOptions = {}): HTTPRoute {
  const parentRefs = options.parentRefs ?? [PUBLIC];
  const generation = options.generation ?? 1;
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: {
      name: options.name ?? 'github',
      namespace: options.namespace ?? 'mcp',
      generation,
      ...(options.uid ? { uid: options.uid } : {}),
      annotations: options.annotations ?? EXPORT,
      ...(options.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
    },
    spec: {
      parentRefs,
      ...(options.hostnames === undefined ? { hostnames: ['mcp.example.com'] } : options.hostnames.length > 0 ? { hostnames: options.hostnames } : {}),
      rules: options.rules ?? [backendTo('mcp-github-proxy')],
    },
    status: { parents: options.statusParents ?? parentRefs.map((ref) => acceptedBy(ref, generation)) },
  };
}

export interface ResourceOptions {
  annotations?: Record<string, string>;
  spec?: Record<string, unknown>;
  uid?: string;
  deleting?: boolean;
  apiVersion?: string;
  /** status.phase; default the kind's ready phase (as the operator reports it), null for no status at all. */
  phase?: string | null;
}

const READY: Record<string, string> = { MCPServer: 'Ready', MCPRemoteProxy: 'Ready', VirtualMCPServer: 'Ready', MCPServerEntry: 'Valid' };

function mcpResource(kind: string, namespaceName: string, name: string, options: ResourceOptions, spec: Record<string, unknown>): KubeObject {
  const phase = options.phase === undefined ? READY[kind] : options.phase;
  return {
    apiVersion: options.apiVersion ?? 'toolhive.stacklok.dev/v1beta1',
    kind,
    metadata: {
      name,
      namespace: namespaceName,
      ...(options.uid ? { uid: options.uid } : {}),
      annotations: options.annotations ?? annotations({ 'registry-description': `${name} MCP server` }),
      ...(options.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
    },
    spec: options.spec ?? spec,
    ...(phase === null || phase === undefined ? {} : { status: { phase } }),
  };
}

export function mcpServer(namespaceName = 'mcp', name = 'github', options: ResourceOptions = {}): KubeObject {
  return mcpResource('MCPServer', namespaceName, name, options, { image: 'ghcr.io/example/github-mcp', transport: 'streamable-http' });
}

export function remoteProxy(namespaceName = 'mcp', name = 'notion', options: ResourceOptions = {}): KubeObject {
  return mcpResource('MCPRemoteProxy', namespaceName, name, options, { remoteUrl: 'https://mcp.notion.com/mcp', transport: 'streamable-http' });
}

export function virtualServer(namespaceName = 'mcp', name = 'all', options: ResourceOptions = {}): KubeObject {
  return mcpResource('VirtualMCPServer', namespaceName, name, options, {});
}

/** An MCPServerEntry (a remote MCP server for vMCP discovery), exported with a description unless annotations are given. */
export function serverEntry(namespaceName = 'mcp', name = 'deepwiki', options: ResourceOptions = {}): KubeObject {
  const entryOptions = { ...options, annotations: options.annotations ?? annotations({ 'registry-export': 'true', 'registry-description': `${name} MCP server` }) };
  return mcpResource('MCPServerEntry', namespaceName, name, entryOptions, { remoteUrl: `https://mcp.${name}.com/mcp`, transport: 'streamable-http', groupRef: { name: 'remote' } });
}

/** GatewayClass + Gateway infra/public (https, no hostname, an IP address). */
export function world(...objects: KubeObject[]): KubeObject[] {
  return [gatewayClass(), gateway(), ...objects];
}

/** Plan, and assert that every entry is publishable under the official schema and the flavor's rules. */
export function planValid(input: ClusterLookups | KubeObject[], options: Partial<PlanOptions> = {}): PlanResult {
  const result = plan(input, options);
  const flavor = resolvePlanOptions(options).flavor;
  for (const entry of result.entries) {
    expect(officialSchemaProblems(entry), `${entry.name} against server.schema.json`).toEqual([]);
    expect(entryProblems(entry, flavor), `${entry.name} against the ${flavor} registry's rules`).toEqual([]);
  }
  const names = result.entries.map((entry) => entry.name);
  expect(names, 'entries sorted by name').toEqual([...names].sort());
  for (const line of [...result.skipped.map((s) => s.reason), ...result.warnings.map((w) => w.message)]) {
    expect(line, 'one line').not.toMatch(/\n/);
  }
  return result;
}

export function urlsOf(result: PlanResult): string[] {
  return result.entries.flatMap((entry) => entry.remotes.map((remote) => remote.url));
}

export function skipsOf(result: PlanResult): string[] {
  return result.skipped.map((s) => `${s.kind} ${s.namespace}/${s.name}: ${s.reason}`);
}

export function warningsOf(result: PlanResult): string[] {
  return result.warnings.map((w) => `${w.kind} ${w.namespace}/${w.name}: ${w.message}`);
}
