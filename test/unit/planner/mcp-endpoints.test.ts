// Each ToolHive kind and transport (discovery.md sections 2 and 6): the endpoint a route
// must reach and the remote type, for remotes through routes and for direct remotes; and
// how a route's backendRefs find the MCP resource (Service owner, operator names).

import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/kubernetes/objects.ts';
import { annotations, backendTo, mcpServer, planValid, remoteProxy, route, skipsOf, urlsOf, virtualServer, world } from './fixtures.ts';

const described = (name: string) => annotations({ 'registry-description': `${name} MCP server` });
const server = (spec: Record<string, unknown>) => mcpServer('mcp', 'github', { spec: { image: 'ghcr.io/example/github-mcp', ...spec } });

describe('MCP endpoint and remote type per kind', () => {
  it.each<[string, KubeObject, string, string, 'sse' | 'streamable-http']>([
    ['MCPServer sse', server({ transport: 'sse' }), 'mcp-github-proxy', 'https://mcp.example.com/sse', 'sse'],
    ['MCPServer streamable-http', server({ transport: 'streamable-http' }), 'mcp-github-proxy', 'https://mcp.example.com/mcp', 'streamable-http'],
    ['MCPServer stdio, proxyMode sse', server({ transport: 'stdio', proxyMode: 'sse' }), 'mcp-github-proxy', 'https://mcp.example.com/sse', 'sse'],
    ['MCPServer stdio, proxyMode streamable-http', server({ transport: 'stdio', proxyMode: 'streamable-http' }), 'mcp-github-proxy', 'https://mcp.example.com/mcp', 'streamable-http'],
    ['MCPServer stdio, proxyMode defaulted', server({ transport: 'stdio' }), 'mcp-github-proxy', 'https://mcp.example.com/mcp', 'streamable-http'],
    ['MCPServer without transport (stdio)', server({}), 'mcp-github-proxy', 'https://mcp.example.com/mcp', 'streamable-http'],
    ['MCPServer without transport, proxyMode sse', server({ proxyMode: 'sse' }), 'mcp-github-proxy', 'https://mcp.example.com/sse', 'sse'],
    ['MCPRemoteProxy: the remoteUrl path', remoteProxy('mcp', 'notion', { annotations: described('notion'), spec: { remoteUrl: 'https://mcp.notion.com/v1/mcp' } }), 'mcp-notion-remote-proxy', 'https://mcp.example.com/v1/mcp', 'streamable-http'],
    ['MCPRemoteProxy: sse', remoteProxy('mcp', 'notion', { annotations: described('notion'), spec: { remoteUrl: 'https://mcp.notion.com/sse', transport: 'sse' } }), 'mcp-notion-remote-proxy', 'https://mcp.example.com/sse', 'sse'],
    ['MCPRemoteProxy: remoteUrl without a path is /', remoteProxy('mcp', 'notion', { annotations: described('notion'), spec: { remoteUrl: 'https://mcp.notion.com' } }), 'mcp-notion-remote-proxy', 'https://mcp.example.com/', 'streamable-http'],
    ['MCPRemoteProxy: remoteUrl with a trailing slash', remoteProxy('mcp', 'notion', { annotations: described('notion'), spec: { remoteUrl: 'https://mcp.notion.com/mcp/' } }), 'mcp-notion-remote-proxy', 'https://mcp.example.com/mcp', 'streamable-http'],
    ['VirtualMCPServer', virtualServer('mcp', 'all', { annotations: described('all') }), 'vmcp-all', 'https://mcp.example.com/mcp', 'streamable-http'],
    ['a v1alpha1 MCPServer', mcpServer('mcp', 'github', { apiVersion: 'toolhive.stacklok.dev/v1alpha1' }), 'mcp-github-proxy', 'https://mcp.example.com/mcp', 'streamable-http'],
  ])('%s', (_, resource, service, url, type) => {
    const result = planValid(world(resource, route({ rules: [backendTo(service)] })));
    expect(result.skipped).toEqual([]);
    expect(result.entries).toHaveLength(1);
    expect(result.entries[0]!.remotes).toEqual([{ type, url }]);
  });

  it.each<[string, KubeObject, string, string]>([
    ['MCPServer with an unknown transport', server({ transport: 'grpc' }), 'mcp-github-proxy', 'MCPServer mcp/github: spec.transport "grpc" is not stdio, sse or streamable-http'],
    ['MCPRemoteProxy with a remoteUrl that is not a URL', remoteProxy('mcp', 'notion', { annotations: described('notion'), spec: { remoteUrl: 'not a url' } }), 'mcp-notion-remote-proxy', 'spec.remoteUrl "not a url" is not an absolute URL'],
  ])('skips the route for %s', (_, resource, service, reason) => {
    const result = planValid(world(resource, route({ rules: [backendTo(service)] })));
    expect(result.entries).toEqual([]);
    expect(skipsOf(result)).toEqual([expect.stringContaining(reason)]);
  });
});

describe('direct remotes (registry-url on the MCP resource)', () => {
  const direct = (kind: 'server' | 'proxy' | 'vmcp', spec: Record<string, unknown>) => {
    const values = annotations({ 'registry-export': 'true', 'registry-url': 'https://mcp.example.com/direct', 'registry-description': 'Direct' });
    if (kind === 'server') return mcpServer('mcp', 'github', { annotations: values, spec });
    if (kind === 'proxy') return remoteProxy('mcp', 'github', { annotations: values, spec });
    return virtualServer('mcp', 'github', { annotations: values, spec });
  };

  it.each<[string, KubeObject, 'sse' | 'streamable-http']>([
    ['MCPServer sse', direct('server', { transport: 'sse' }), 'sse'],
    ['MCPServer stdio with proxyMode sse', direct('server', { transport: 'stdio', proxyMode: 'sse' }), 'sse'],
    ['MCPServer streamable-http', direct('server', { transport: 'streamable-http' }), 'streamable-http'],
    ['MCPRemoteProxy sse', direct('proxy', { remoteUrl: 'https://x.example.com/sse', transport: 'sse' }), 'sse'],
    ['MCPRemoteProxy defaulted', direct('proxy', { remoteUrl: 'https://x.example.com/mcp' }), 'streamable-http'],
    ['VirtualMCPServer', direct('vmcp', {}), 'streamable-http'],
  ])('%s keeps its URL and takes the type rule', (_, resource, type) => {
    const result = planValid([resource]);
    expect(result.entries.map((e) => e.remotes)).toEqual([[{ type, url: 'https://mcp.example.com/direct' }]]);
  });

  it('needs registry-export "true": with registry-url alone it is skipped, saying so', () => {
    const resource = mcpServer('mcp', 'github', { annotations: annotations({ 'registry-url': 'https://mcp.example.com/x', 'registry-description': 'x' }) });
    const result = planValid([resource]);
    expect(result.entries).toEqual([]);
    expect(skipsOf(result)).toEqual(['MCPServer mcp/github: has registry-url but not registry-export: "true", so it is not exported']);
  });

  it('registry-export "false" with registry-url: skipped too', () => {
    const resource = mcpServer('mcp', 'github', { annotations: annotations({ 'registry-export': 'False', 'registry-url': 'https://mcp.example.com/x' }) });
    expect(skipsOf(planValid([resource]))).toEqual([expect.stringContaining('not registry-export: "true"')]);
  });

  it('not registry-annotated at all: neither an entry nor a skip', () => {
    const result = planValid([mcpServer('mcp', 'github', { annotations: {} })]);
    expect(result).toEqual({ entries: [], skipped: [], warnings: [], pending: [] });
  });

  it('exported without registry-url and without a route: skipped', () => {
    const resource = mcpServer('mcp', 'github', { annotations: annotations({ 'registry-export': 'true', 'registry-description': 'x' }) });
    expect(skipsOf(planValid(world(resource)))).toEqual([
      'MCPServer mcp/github: registry-export is "true" but it has no registry-url and no exported HTTPRoute publishes it',
    ]);
  });

  it('exported without registry-url, published by a route: no skip', () => {
    const resource = mcpServer('mcp', 'github', { annotations: annotations({ 'registry-export': 'true', 'registry-description': 'x' }) });
    const result = planValid(world(resource, route()));
    expect(result.skipped).toEqual([]);
    expect(urlsOf(result)).toEqual(['https://mcp.example.com/mcp']);
  });
});

describe('from backendRefs to the MCP resource', () => {
  const service = (name: string, owner?: { kind: string; name: string }, namespaceName = 'mcp'): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: namespaceName, ...(owner ? { ownerReferences: [{ apiVersion: 'toolhive.stacklok.dev/v1beta1', kind: owner.kind, name: owner.name, controller: true }] } : {}) },
  });

  it('a known Service: its controller ownerReference names the resource, whatever its name', () => {
    const result = planValid(world(mcpServer('mcp', 'github'), service('custom-name', { kind: 'MCPServer', name: 'github' }), route({ rules: [backendTo('custom-name')] })));
    expect(urlsOf(result)).toEqual(['https://mcp.example.com/mcp']);
  });

  it('a known Service owned by something else is not an MCP resource, even with an operator name', () => {
    const result = planValid(world(mcpServer('mcp', 'github'), service('mcp-github-proxy', { kind: 'Deployment', name: 'x' }), route()));
    expect(skipsOf(result)).toEqual([expect.stringContaining('backend is not a known MCP resource')]);
  });

  it('mcp-<n>-remote-proxy is an MCPRemoteProxy, not MCPServer <n>-remote', () => {
    const result = planValid(world(remoteProxy('mcp', 'notion', { annotations: described('notion') }), route({ rules: [backendTo('mcp-notion-remote-proxy')] })));
    expect(result.entries.map((e) => e.name)).toEqual(['com.toolhive.k8s.mcp/notion']);
  });

  it('two existing candidates: skipped as ambiguous', () => {
    const result = planValid(world(
      remoteProxy('mcp', 'notion', { annotations: described('notion') }),
      mcpServer('mcp', 'notion-remote'),
      route({ rules: [backendTo('mcp-notion-remote-proxy')] }),
    ));
    expect(skipsOf(result)).toEqual([
      'HTTPRoute mcp/github: ambiguous backend: Service mcp/mcp-notion-remote-proxy could be MCPRemoteProxy mcp/notion and MCPServer mcp/notion-remote',
    ]);
  });

  it('a backendRef with weight 0 is ignored (its rule does not forward)', () => {
    const result = planValid(world(mcpServer('mcp', 'github'), route({ rules: [{ backendRefs: [{ name: 'mcp-github-proxy', port: 8080, weight: 0 }] }] })));
    expect(skipsOf(result)).toEqual(['HTTPRoute mcp/github: no rule of route github forwards to a backend']);
  });

  it('a backendRef into another namespace finds the resource there, which owns the name', () => {
    const result = planValid(world(mcpServer('tools', 'github'), route({ rules: [{ backendRefs: [{ name: 'mcp-github-proxy', namespace: 'tools', port: 8080 }] }] })));
    expect(result.entries.map((e) => e.name)).toEqual(['com.toolhive.k8s.tools/github']);
  });

  it('a route reaching two resources exports each from the rules that reach it', () => {
    const result = planValid(world(
      mcpServer('mcp', 'github'),
      mcpServer('mcp', 'jira', { spec: { transport: 'sse' } }),
      route({
        rules: [
          backendTo('mcp-github-proxy', { matches: [{ path: { type: 'PathPrefix', value: '/github' } }], filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } }] }),
          backendTo('mcp-jira-proxy', { matches: [{ path: { type: 'PathPrefix', value: '/sse' } }] }),
        ],
      }),
    ));
    expect(result.entries.map((e) => [e.name, e.remotes])).toEqual([
      ['com.toolhive.k8s.mcp/github', [{ type: 'streamable-http', url: 'https://mcp.example.com/github/mcp' }]],
      ['com.toolhive.k8s.mcp/jira', [{ type: 'sse', url: 'https://mcp.example.com/sse' }]],
    ]);
  });

  it('one of two resources unreachable: the other publishes, the route warns', () => {
    const result = planValid(world(
      mcpServer('mcp', 'github'),
      mcpServer('mcp', 'jira', { spec: { transport: 'sse' } }),
      route({ rules: [backendTo('mcp-github-proxy'), backendTo('mcp-jira-proxy', { matches: [{ path: { type: 'PathPrefix', value: '/jira' } }] })] }),
    ));
    expect(urlsOf(result)).toEqual(['https://mcp.example.com/mcp']);
    expect(result.warnings.map((w) => w.message)).toEqual(['no remote for it: route github cannot reach the endpoint /sse of MCPServer mcp/jira']);
  });
});
