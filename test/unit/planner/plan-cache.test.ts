// Re-planning with a PlanCache gives exactly what a fresh plan gives, whatever changed in
// between: random sequences of changes to Gateways, GatewayClasses, Namespaces, Services,
// routes, MCP resources (their phases included) and MCPToolConfigs (objects replaced, added
// or removed, as informer caches do).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ObjectIndex } from '../../../src/cluster/object-index.ts';
import type { Gateway, HTTPRoute, HTTPRouteRule, KubeObject } from '../../../src/kubernetes/objects.ts';
import { PlanCache } from '../../../src/planner/plan-cache.ts';
import { plan } from '../../../src/planner/plan.ts';
import { acceptedBy, annotations, backendTo, gateway, gatewayClass, http, https, mcpServer, namespace, planValid, remoteProxy, route } from './fixtures.ts';

const selector = { namespaces: { from: 'Selector', selector: { matchLabels: { exposed: 'yes' } } } };

function baseWorld(): KubeObject[] {
  return [
    gatewayClass(),
    gateway(),
    gateway({ name: 'internal', listeners: [http({ allowedRoutes: selector }), https({ hostname: '*.example.com' })], addresses: [{ type: 'Hostname', value: 'gw.example.com' }] }),
    namespace('mcp', { exposed: 'yes' }),
    mcpServer('mcp', 'github', {
      annotations: annotations({ 'registry-description': 'github MCP server', 'registry-tools': 'create_pr,merge_pr,list_issues', 'tool-definitions': '[{"name":"merge_pr","description":"Merge"}]' }),
      spec: { image: 'ghcr.io/example/github-mcp', transport: 'streamable-http', toolConfigRef: { name: 'github-tools' } },
    }),
    githubTools(),
    mcpServer('mcp', 'jira', { spec: { transport: 'sse' } }),
    remoteProxy('mcp', 'notion', { annotations: annotations({ 'registry-description': 'Notion' }) }),
    mcpServer('mcp', 'direct', { annotations: annotations({ 'registry-export': 'true', 'registry-url': 'https://direct.example.com/mcp', 'registry-description': 'Direct' }) }),
    route({ parentRefs: [{ name: 'public', namespace: 'infra' }, { name: 'internal', namespace: 'infra' }] }),
    route({ name: 'both', hostnames: ['both.example.com'], rules: [backendTo('mcp-jira-proxy'), backendTo('mcp-notion-remote-proxy', { matches: [{ path: { type: 'PathPrefix', value: '/notion' } }], filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } }] })] }),
    route({ name: 'docs', hostnames: [], parentRefs: [{ name: 'internal', namespace: 'infra' }], annotations: annotations({ 'registry-export': 'true', 'registry-name': 'docs', 'registry-description': 'Docs' }), rules: [backendTo('plain')] }),
    route({ name: 'same-name', hostnames: ['other.example.com'], annotations: annotations({ 'registry-export': 'true', 'registry-name': 'direct', 'registry-title': 'Same' }), rules: [backendTo('mcp-github-proxy')] }),
    // A canary rollout: one rule split between a stable and a canary MCPServer (one rule is one endpoint).
    mcpServer('mcp', 'wiki', { annotations: annotations({ 'registry-description': 'Wiki' }), spec: { image: 'example/wiki:1.0.0', transport: 'streamable-http' } }),
    mcpServer('mcp', 'wiki-canary', { annotations: annotations({ 'registry-description': 'Wiki canary' }), spec: { image: 'example/wiki:1.1.0', transport: 'streamable-http' }, phase: 'Pending' }),
    route({ name: 'wiki', hostnames: ['wiki.example.com'], rules: [rolloutRule(90, 10)] }),
  ];
}

function rolloutRule(stableWeight: number, canaryWeight: number, canaryFirst = false): HTTPRouteRule {
  const refs = [{ name: 'mcp-wiki-proxy', port: 8080, weight: stableWeight }, { name: 'mcp-wiki-canary-proxy', port: 8080, weight: canaryWeight }];
  return { backendRefs: canaryFirst ? refs.reverse() : refs };
}

function githubTools(namespaceName = 'mcp'): KubeObject {
  return { apiVersion: 'toolhive.stacklok.dev/v1beta1', kind: 'MCPToolConfig', metadata: { name: 'github-tools', namespace: namespaceName }, spec: { toolsFilter: ['create_pr', 'merge'], toolsOverride: { merge_pr: { name: 'merge' } } } };
}

type Change = (objects: KubeObject[]) => KubeObject[];

function replace(kind: string, name: string, edit: (copy: any) => void): Change {
  return (objects) => objects.map((object) => {
    if (object.kind !== kind || object.metadata?.name !== name) return object;
    const copy = structuredClone(object);
    edit(copy);
    return copy;
  });
}

const remove = (kind: string, name: string): Change => (objects) => objects.filter((o) => o.kind !== kind || o.metadata?.name !== name);
const add = (object: () => KubeObject): Change => (objects) => [...objects.filter((o) => o.kind !== object().kind || o.metadata?.name !== object().metadata?.name), object()];

const CHANGES: [string, Change][] = [
  ['Gateway listener hostname', replace('Gateway', 'public', (g: Gateway) => { for (const listener of g.spec!.listeners!) listener.hostname = '*.other.net'; })],
  ['Gateway listener for any host again', replace('Gateway', 'public', (g: Gateway) => { for (const listener of g.spec!.listeners!) delete listener.hostname; })],
  ['Gateway port', replace('Gateway', 'internal', (g: Gateway) => { for (const listener of g.spec!.listeners!) listener.port = 8443; })],
  ['Gateway addresses', replace('Gateway', 'internal', (g: Gateway) => { g.status!.addresses = [{ type: 'Hostname', value: 'lb.example.com' }]; })],
  ['Gateway removed', remove('Gateway', 'internal')],
  ['Gateway added back', add(() => gateway({ name: 'internal', listeners: [http()] }))],
  ['GatewayClass controller', replace('GatewayClass', 'public', (c) => { c.spec.controllerName = 'other.example.com/x'; })],
  ['GatewayClass back', add(() => gatewayClass())],
  ['Namespace removed', remove('Namespace', 'mcp')],
  ['Namespace relabelled', add(() => namespace('mcp', { exposed: 'no' }))],
  ['Namespace back', add(() => namespace('mcp', { exposed: 'yes' }))],
  ['Service owned by another MCPServer', add(() => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'mcp-github-proxy', namespace: 'mcp', ownerReferences: [{ kind: 'MCPServer', name: 'jira', controller: true }] } }))],
  ['Service removed', remove('Service', 'mcp-github-proxy')],
  ['route status stale', replace('HTTPRoute', 'github', (r: HTTPRoute) => { r.metadata!.generation = 7; })],
  ['route status fresh', replace('HTTPRoute', 'github', (r: HTTPRoute) => { r.status = { parents: r.spec!.parentRefs!.map((ref) => acceptedBy(ref, r.metadata!.generation)) }; })],
  ['route description', replace('HTTPRoute', 'both', (r: HTTPRoute) => { r.metadata!.annotations![`toolhive.stacklok.dev/registry-description`] = 'Changed'; })],
  ['route hostnames', replace('HTTPRoute', 'both', (r: HTTPRoute) => { r.spec!.hostnames = ['x.example.com', 'y.example.com']; })],
  ['route not exported', replace('HTTPRoute', 'docs', (r: HTTPRoute) => { r.metadata!.annotations![`toolhive.stacklok.dev/registry-export`] = 'false'; })],
  ['route exported again', replace('HTTPRoute', 'docs', (r: HTTPRoute) => { r.metadata!.annotations![`toolhive.stacklok.dev/registry-export`] = 'true'; })],
  ['route deleted', remove('HTTPRoute', 'same-name')],
  ['route being deleted', replace('HTTPRoute', 'github', (r: HTTPRoute) => { r.metadata!.deletionTimestamp = '2026-01-01T00:00:00Z'; })],
  ['MCPServer transport', replace('MCPServer', 'github', (s) => { s.spec.transport = 'sse'; })],
  ['MCPServer description removed', replace('MCPServer', 'jira', (s) => { delete s.metadata.annotations['toolhive.stacklok.dev/registry-description']; })],
  ['MCPServer bad annotation', replace('MCPServer', 'github', (s) => { s.metadata.annotations['toolhive.stacklok.dev/registry-tier'] = 'Gold'; })],
  ['MCPServer removed', remove('MCPServer', 'jira')],
  ['MCPServer added back', add(() => mcpServer('mcp', 'jira', { spec: { transport: 'sse' } }))],
  ['remote proxy URL', replace('MCPRemoteProxy', 'notion', (p) => { p.spec.remoteUrl = 'https://mcp.notion.com/v2/mcp'; })],
  ['direct export URL', replace('MCPServer', 'direct', (s) => { s.metadata.annotations['toolhive.stacklok.dev/registry-url'] = 'http://localhost/mcp'; })],
  // Readiness (publishing.md §4): a change of status.phase alone changes `pending` and the warnings.
  ['MCPServer failed', replace('MCPServer', 'github', (s) => { s.status = { phase: 'Failed' }; })],
  ['MCPServer ready again', replace('MCPServer', 'github', (s) => { s.status = { phase: 'Ready' }; })],
  ['MCPServer pending', replace('MCPServer', 'jira', (s) => { s.status = { phase: 'Pending' }; })],
  ['remote proxy without a phase', replace('MCPRemoteProxy', 'notion', (p) => { delete p.status; })],
  ['remote proxy ready again', replace('MCPRemoteProxy', 'notion', (p) => { p.status = { phase: 'Ready' }; })],
  // Tool configuration (discovery.md section 9): a change of the MCPToolConfig alone changes the entry.
  ['MCPToolConfig filter', replace('MCPToolConfig', 'github-tools', (c) => { c.spec.toolsFilter = ['list_issues']; })],
  ['MCPToolConfig override', replace('MCPToolConfig', 'github-tools', (c) => { c.spec.toolsOverride = { create_pr: { name: 'open_pr', description: 'Open' }, merge_pr: { description: 'Merge it' } }; c.spec.toolsFilter = []; })],
  ['MCPToolConfig removed', remove('MCPToolConfig', 'github-tools')],
  ['MCPToolConfig added back', add(() => githubTools())],
  ['MCPToolConfig in another namespace too (no effect)', (objects) => [...objects, githubTools('other')]],
  ['MCPServer toolConfigRef removed', replace('MCPServer', 'github', (s) => { delete s.spec.toolConfigRef; })],
  ['MCPServer toolConfigRef set again', replace('MCPServer', 'github', (s) => { s.spec.toolConfigRef = { name: 'github-tools' }; })],
  // A rollout moves the weights of one rule: the entry stays the stable's until the order changes.
  ['rollout at 50/50 (no effect)', replace('HTTPRoute', 'wiki', (r: HTTPRoute) => { r.spec!.rules = [rolloutRule(50, 50)]; })],
  ['rollout at 0/100 (no effect)', replace('HTTPRoute', 'wiki', (r: HTTPRoute) => { r.spec!.rules = [rolloutRule(0, 100)]; })],
  ['rollout with the canary first', replace('HTTPRoute', 'wiki', (r: HTTPRoute) => { r.spec!.rules = [rolloutRule(0, 100, true)]; })],
  ['rollout with the stable first again', replace('HTTPRoute', 'wiki', (r: HTTPRoute) => { r.spec!.rules = [rolloutRule(90, 10)]; })],
  ['rollout stopped at 0/0', replace('HTTPRoute', 'wiki', (r: HTTPRoute) => { r.spec!.rules = [rolloutRule(0, 0)]; })],
  ['canary ready, which contributes nothing (no effect)', replace('MCPServer', 'wiki-canary', (s) => { s.status = { phase: 'Ready' }; })],
  ['canary removed', remove('MCPServer', 'wiki-canary')],
  ['canary added back', add(() => mcpServer('mcp', 'wiki-canary', { annotations: annotations({ 'registry-description': 'Wiki canary' }), spec: { image: 'example/wiki:1.1.0', transport: 'streamable-http' }, phase: 'Pending' }))],
];

describe('PlanCache', () => {
  it('re-plans exactly like a fresh plan after any sequence of changes', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: CHANGES.length - 1 }), { minLength: 1, maxLength: 12 }), fc.constantFrom('toolhive' as const, 'upstream' as const), (steps, flavor) => {
        const cache = new PlanCache();
        let objects = baseWorld();
        expect(plan(new ObjectIndex(objects), { flavor }, { cache })).toEqual(planValid(objects, { flavor }));
        for (const step of steps) {
          objects = CHANGES[step]![1](objects);
          const cached = plan(new ObjectIndex(objects), { flavor }, { cache });
          expect(cached, `after ${steps.map((s) => CHANGES[s]![0]).join(', ')}`).toEqual(planValid(objects, { flavor }));
        }
      }),
      { numRuns: 150 },
    );
  });

  it('reuses what did not change: entries of untouched names are the same objects', () => {
    const cache = new PlanCache();
    const objects = baseWorld();
    const first = plan(new ObjectIndex(objects), {}, { cache });
    const second = plan(new ObjectIndex(CHANGES.find(([name]) => name === 'route description')![1](objects)), {}, { cache });
    const byName = (result: typeof first) => new Map(result.entries.map((entry) => [entry.name, entry]));
    expect(byName(second).get('com.toolhive.k8s.mcp/github')).toBe(byName(first).get('com.toolhive.k8s.mcp/github'));
    expect(byName(second).get('com.toolhive.k8s.mcp/jira')).not.toBe(byName(first).get('com.toolhive.k8s.mcp/jira'));
    expect(byName(second).get('com.toolhive.k8s.mcp/jira')!.description).toBe('Changed');
  });

  it('an MCPToolConfig change alone rebuilds the entries that read it, and only those', () => {
    const cache = new PlanCache();
    const objects = baseWorld();
    const byName = (result: ReturnType<typeof plan>) => new Map(result.entries.map((entry) => [entry.name, entry]));
    const first = byName(plan(new ObjectIndex(objects), {}, { cache }));
    const tools = (entry: any) => Object.values(entry._meta['io.modelcontextprotocol.registry/publisher-provided']['io.github.stacklok']).map((extension: any) => extension.tools);
    expect(tools(first.get('com.toolhive.k8s.mcp/github'))).toEqual([['create_pr', 'merge'], ['create_pr', 'merge']]);
    const changed = CHANGES.find(([name]) => name === 'MCPToolConfig filter')![1](objects);
    const second = byName(plan(new ObjectIndex(changed), {}, { cache }));
    expect(tools(second.get('com.toolhive.k8s.mcp/github'))).toEqual([['list_issues'], ['list_issues']]);
    expect(second.get('com.toolhive.k8s.mcp/jira')).toBe(first.get('com.toolhive.k8s.mcp/jira'));
    // The same MCPToolConfig object again: the entry is reused.
    expect(byName(plan(new ObjectIndex(changed), {}, { cache })).get('com.toolhive.k8s.mcp/github')).toBe(second.get('com.toolhive.k8s.mcp/github'));
  });

  it('starts over when the options change', () => {
    const cache = new PlanCache();
    const objects = baseWorld();
    plan(objects, {}, { cache });
    expect(plan(objects, { namePrefix: 'io.github.acme.{namespace}' }, { cache })).toEqual(plan(objects, { namePrefix: 'io.github.acme.{namespace}' }));
    expect(plan(objects, { owner: 'eu-1' }, { cache })).toEqual(plan(objects, { owner: 'eu-1' }));
  });

  it('a rollout that only moves weights re-plans to the same result, cached or not', () => {
    const cache = new PlanCache();
    const objects = baseWorld();
    const first = plan(new ObjectIndex(objects), {}, { cache });
    expect(first.entries.map((entry) => entry.name)).toContain('com.toolhive.k8s.mcp/wiki');
    expect(first.entries.map((entry) => entry.name)).not.toContain('com.toolhive.k8s.mcp/wiki-canary');
    for (const name of ['rollout at 50/50 (no effect)', 'rollout at 0/100 (no effect)']) {
      const moved = CHANGES.find(([change]) => change === name)![1](objects);
      expect(plan(new ObjectIndex(moved), {}, { cache }), name).toEqual(first);
      expect(plan(moved), name).toEqual(first);
    }
  });

  it('each change is visible (the base world is not trivial)', () => {
    const fresh = plan(baseWorld());
    expect(fresh.entries.length).toBeGreaterThanOrEqual(4);
    for (const [name, change] of CHANGES) {
      if (name.endsWith('back') || name.endsWith('again') || name.endsWith('fresh') || name.endsWith('(no effect)') || name.startsWith('Service removed')) continue;
      expect(plan(change(baseWorld())), name).not.toEqual(fresh);
    }
  });
});
