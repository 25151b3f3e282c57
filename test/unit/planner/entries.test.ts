// One entry per final registry name (discovery.md section 7): names, grouping, metadata
// precedence, versions, ToolHive's extension and the ownership record, the 4096-byte
// budget, the upstream flavor, deletion in progress, and every reason to skip.

import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/kubernetes/objects.ts';
import { OWNERSHIP_KEY, PUBLISHER_PROVIDED_KEY, TOOLHIVE_PUBLISHER_KEY, type ServerEntry } from '../../../src/planner/server-entry.ts';
import { imageTag, versionFromImage } from '../../../src/planner/versions.ts';
import { entryClaims } from '../../../src/planner/entry-claims.ts';
import { annotations, backendTo, gateway, http, https, mcpServer, planValid, remoteProxy, route, skipsOf, urlsOf, warningsOf, world } from './fixtures.ts';

const UID = '9b0c1c6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e';
const ROUTE_UID = '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f';

function provided(entry: ServerEntry) {
  return entry._meta[PUBLISHER_PROVIDED_KEY];
}

describe('the entry document', () => {
  it('matches discovery.md\'s example field by field', () => {
    const server = mcpServer('mcp-servers', 'github', {
      uid: UID,
      annotations: annotations({
        'registry-description': 'GitHub MCP server for production use',
        'registry-tier': 'official',
        'registry-tools': 'create_pr, merge_pr',
        'registry-tags': 'GitHub,vcs',
      }),
    });
    const result = planValid(world(server, route({ namespace: 'mcp-servers', hostnames: ['mcp.company.com'], rules: [backendTo('mcp-github-proxy', { matches: [{ path: { type: 'PathPrefix', value: '/github' } }], filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } }] })] })));
    expect(result.entries).toEqual([
      {
        $schema: 'https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json',
        name: 'com.toolhive.k8s.mcp-servers/github',
        description: 'GitHub MCP server for production use',
        version: '1.0.0',
        remotes: [{ type: 'streamable-http', url: 'https://mcp.company.com/github/mcp' }],
        _meta: {
          'io.modelcontextprotocol.registry/publisher-provided': {
            'io.github.stacklok': {
              'https://mcp.company.com/github/mcp': {
                status: 'active',
                tier: 'Official',
                tools: ['create_pr', 'merge_pr'],
                tags: ['github', 'vcs'],
                metadata: { kubernetes: { kind: 'MCPServer', namespace: 'mcp-servers', name: 'github', uid: UID } },
              },
            },
            'io.github.mcp-registry-export': {
              owner: 'default',
              sources: [
                { kind: 'HTTPRoute', namespace: 'mcp-servers', name: 'github' },
                { kind: 'MCPServer', namespace: 'mcp-servers', name: 'github', uid: UID },
              ],
            },
          },
        },
      },
    ]);
    expect(result.skipped).toEqual([]);
    expect(result.warnings).toEqual([]);
  });

  it('carries title and icons when annotated, and the owner ID given', () => {
    const server = mcpServer('mcp', 'github', {
      annotations: annotations({ 'registry-description': 'GitHub', 'registry-title': 'GitHub', 'registry-icon': 'https://example.com/github.png' }),
    });
    const [entry] = planValid(world(server, route()), { owner: 'cluster-eu-1' }).entries;
    expect(entry!.title).toBe('GitHub');
    expect(entry!.icons).toEqual([{ src: 'https://example.com/github.png' }]);
    expect(provided(entry!)[OWNERSHIP_KEY].owner).toBe('cluster-eu-1');
  });

  it.each<[string, Record<string, string>, Record<string, string>, Record<string, unknown>]>([
    ['Partner goes to custom_metadata.tier', { 'registry-tier': 'partner' }, {}, { custom_metadata: { tier: 'Partner' } }],
    ['Community is a tier', { 'registry-tier': 'Community' }, {}, { tier: 'Community' }],
    ['the route\'s tools win over the resource\'s', { 'registry-tools': 'a,b' }, { 'registry-tools': 'c' }, { tools: ['c'] }],
    ['registry-tools win over the tools JSON annotation', { 'registry-tools': 'a', tools: '["x","y"]' }, {}, { tools: ['a'] }],
    ['the tools JSON annotation when nothing else', { tools: '["x","y"]' }, {}, { tools: ['x', 'y'] }],
    ['category appended to the tags', { 'registry-tags': 'vcs', 'registry-category': 'developer-tools' }, {}, { tags: ['vcs', 'developer-tools'] }],
    ['category already a tag is not repeated', { 'registry-tags': 'vcs', 'registry-category': 'VCS' }, {}, { tags: ['vcs'] }],
    ['the route\'s category with the resource\'s tags', { 'registry-tags': 'vcs' }, { 'registry-category': 'git' }, { tags: ['vcs', 'git'] }],
    ['tool definitions from the resource', { 'tool-definitions': '[{"name":"create_pr","description":"Open a PR"}]' }, {}, { tool_definitions: [{ name: 'create_pr', description: 'Open a PR' }] }],
  ])('extension: %s', (_, resourceValues, routeValues, expected) => {
    const server = mcpServer('mcp', 'github', { annotations: annotations({ 'registry-description': 'GitHub', ...resourceValues }) });
    const exportedRoute = route({ annotations: annotations({ 'registry-export': 'true', ...routeValues }) });
    const [entry] = planValid(world(server, exportedRoute)).entries;
    const extension = provided(entry!)[TOOLHIVE_PUBLISHER_KEY]['https://mcp.example.com/mcp']!;
    expect(extension).toMatchObject({ status: 'active', ...expected });
    if (!('tier' in expected)) expect(extension.tier).toBeUndefined();
  });

  it('authz-claims stay out of the entry', () => {
    const server = mcpServer('mcp', 'github', { annotations: annotations({ 'registry-description': 'GitHub', 'authz-claims': '{"groups":["eng"]}' }) });
    const [entry] = planValid(world(server, route())).entries;
    expect(JSON.stringify(entry)).not.toContain('groups');
  });
});

describe('names', () => {
  it.each<[string, KubeObject[], string[]]>([
    ['default: <prefix>/<resource name>, the resource\'s namespace', [mcpServer('mcp', 'github'), route()], ['com.toolhive.k8s.mcp/github']],
    ['the resource\'s bare registry-name', [mcpServer('mcp', 'github', { annotations: annotations({ 'registry-description': 'x', 'registry-name': 'gh' }) }), route()], ['com.toolhive.k8s.mcp/gh']],
    ['the route\'s registry-name wins', [mcpServer('mcp', 'github', { annotations: annotations({ 'registry-description': 'x', 'registry-name': 'gh' }) }), route({ annotations: annotations({ 'registry-export': 'true', 'registry-name': 'io.github.acme/github' }) })], ['io.github.acme/github']],
    ['a route elsewhere: the name belongs to the resource\'s namespace', [mcpServer('tools', 'github'), route({ namespace: 'edge', annotations: annotations({ 'registry-export': 'true', 'registry-name': 'gh' }), rules: [{ backendRefs: [{ name: 'mcp-github-proxy', namespace: 'tools' }] }] })], ['com.toolhive.k8s.tools/gh']],
    ['route-only: <prefix of the route\'s namespace>/<registry-name>', [route({ name: 'docs', annotations: annotations({ 'registry-export': 'true', 'registry-name': 'docs', 'registry-description': 'Docs' }), rules: [backendTo('docs-search')] })], ['com.toolhive.k8s.mcp/docs']],
  ])('%s', (_, objects, names) => {
    expect(planValid(world(...objects)).entries.map((e) => e.name)).toEqual(names);
  });

  it('a custom name prefix template', () => {
    const result = planValid(world(mcpServer('mcp', 'github'), route()), { namePrefix: 'io.github.acme.{namespace}' });
    expect(result.entries.map((e) => e.name)).toEqual(['io.github.acme.mcp/github']);
  });

  it('a name that breaks the rules is skipped with a hint at registry-name', () => {
    const result = planValid(world(mcpServer('mcp', 'x'), route({ rules: [backendTo('mcp-x-proxy')] })));
    expect(result.entries).toEqual([]);
    expect(skipsOf(result)).toEqual([
      'HTTPRoute mcp/github: entry com.toolhive.k8s.mcp/x: registry name "com.toolhive.k8s.mcp/x" name part "x" must match ^[a-zA-Z0-9][a-zA-Z0-9._-]*[a-zA-Z0-9]$ (at least 2 characters); set toolhive.stacklok.dev/registry-name to a valid name',
    ]);
  });

  it('a name over 200 characters is skipped', () => {
    const long = 'a'.repeat(190);
    const result = planValid(world(mcpServer(long.slice(0, 63), 'github'), route({ rules: [{ backendRefs: [{ name: 'mcp-github-proxy', namespace: long.slice(0, 63) }] }] })), { namePrefix: `${'b'.repeat(140)}.{namespace}` });
    expect(skipsOf(result)).toEqual([expect.stringContaining('characters long, at most 200 are allowed')]);
  });
});

describe('grouping by final name and metadata precedence', () => {
  const github = mcpServer('mcp', 'github', { annotations: annotations({ 'registry-description': 'From the server', 'registry-title': 'Server title' }) });

  it('routes feeding one name: one entry, remotes deduplicated, direct first, routes in namespace/name order', () => {
    const direct = mcpServer('mcp', 'github', { annotations: annotations({ 'registry-export': 'true', 'registry-url': 'https://direct.example.com/mcp', 'registry-description': 'From the server' }) });
    const result = planValid(world(
      direct,
      route({ name: 'zeta', hostnames: ['z.example.com'] }),
      route({ name: 'alpha', hostnames: ['a.example.com', 'z.example.com'] }),
    ));
    expect(result.entries).toHaveLength(1);
    expect(urlsOf(result)).toEqual(['https://direct.example.com/mcp', 'https://a.example.com/mcp', 'https://z.example.com/mcp']);
    expect(provided(result.entries[0]!)[OWNERSHIP_KEY].sources.map((s) => `${s.kind}/${s.name}`)).toEqual(['HTTPRoute/alpha', 'MCPServer/github', 'HTTPRoute/zeta']);
  });

  it('the route\'s metadata wins over the resource\'s', () => {
    const result = planValid(world(github, route({ annotations: annotations({ 'registry-export': 'true', 'registry-description': 'From the route' }) })));
    expect(result.entries[0]).toMatchObject({ description: 'From the route', title: 'Server title' });
    expect(result.warnings).toEqual([]);
  });

  it('routes that disagree: the first in namespace/name order wins, the other is warned', () => {
    const result = planValid(world(
      github,
      route({ name: 'b-route', hostnames: ['b.example.com'], annotations: annotations({ 'registry-export': 'true', 'registry-description': 'From b' }) }),
      route({ name: 'a-route', hostnames: ['a.example.com'], annotations: annotations({ 'registry-export': 'true', 'registry-description': 'From a' }) }),
    ));
    expect(result.entries[0]!.description).toBe('From a');
    expect(warningsOf(result)).toEqual([
      'HTTPRoute mcp/b-route: registry-description "From b" disagrees with HTTPRoute mcp/a-route\'s "From a" for entry com.toolhive.k8s.mcp/github; the first in namespace/name order wins',
    ]);
  });

  it('routes in other namespaces sort by namespace first', () => {
    const result = planValid(world(
      github,
      route({ namespace: 'b-ns', name: 'a', hostnames: ['b.example.com'], annotations: annotations({ 'registry-export': 'true', 'registry-title': 'B' }), rules: [{ backendRefs: [{ name: 'mcp-github-proxy', namespace: 'mcp' }] }] }),
      route({ namespace: 'a-ns', name: 'z', hostnames: ['a.example.com'], annotations: annotations({ 'registry-export': 'true', 'registry-title': 'A' }), rules: [{ backendRefs: [{ name: 'mcp-github-proxy', namespace: 'mcp' }] }] }),
    ));
    expect(result.entries[0]!.title).toBe('A');
    expect(urlsOf(result)).toEqual(['https://a.example.com/mcp', 'https://b.example.com/mcp']);
  });

  it('two resources under one name in their namespace: one entry, each remote with its own object', () => {
    const a = mcpServer('mcp', 'github-a', { annotations: annotations({ 'registry-description': 'GitHub', 'registry-name': 'github' }) });
    const b = mcpServer('mcp', 'github-b', { annotations: annotations({ 'registry-description': 'GitHub', 'registry-name': 'github' }) });
    const result = planValid(world(a, b,
      route({ name: 'a', hostnames: ['a.example.com'], rules: [backendTo('mcp-github-a-proxy')] }),
      route({ name: 'b', hostnames: ['b.example.com'], rules: [backendTo('mcp-github-b-proxy')] }),
    ));
    expect(result.entries.map((e) => e.name)).toEqual(['com.toolhive.k8s.mcp/github']);
    const extensions = provided(result.entries[0]!)[TOOLHIVE_PUBLISHER_KEY];
    expect(extensions['https://a.example.com/mcp']!.metadata.kubernetes.name).toBe('github-a');
    expect(extensions['https://b.example.com/mcp']!.metadata.kubernetes.name).toBe('github-b');
  });

  it('one name claimed from two namespaces: every object involved is skipped', () => {
    const mine = mcpServer('team-a', 'github', { annotations: annotations({ 'registry-export': 'true', 'registry-url': 'https://a.example.com/mcp', 'registry-description': 'A' }) });
    const theirs = mcpServer('team-b', 'github', { annotations: annotations({ 'registry-export': 'true', 'registry-url': 'https://b.example.com/mcp', 'registry-description': 'B', 'registry-name': 'com.toolhive.k8s.team-a/github' }) });
    const result = planValid([mine, theirs]);
    expect(result.entries).toEqual([]);
    expect(skipsOf(result)).toEqual([
      'MCPServer team-a/github: entry com.toolhive.k8s.team-a/github: registry name is claimed from namespaces team-a and team-b; a registry name belongs to one namespace',
      'MCPServer team-b/github: entry com.toolhive.k8s.team-a/github: registry name is claimed from namespaces team-a and team-b; a registry name belongs to one namespace',
    ]);
  });

  it('the same URL under two names is a warning', () => {
    const a = mcpServer('mcp', 'github', { annotations: annotations({ 'registry-export': 'true', 'registry-url': 'https://mcp.example.com/mcp', 'registry-description': 'A' }) });
    const result = planValid(world(a, mcpServer('mcp', 'other'), route({ name: 'other', rules: [backendTo('mcp-other-proxy')] })));
    expect(result.entries.map((e) => e.name)).toEqual(['com.toolhive.k8s.mcp/github', 'com.toolhive.k8s.mcp/other']);
    expect(warningsOf(result)).toEqual([
      'HTTPRoute mcp/other: remote https://mcp.example.com/mcp is published under com.toolhive.k8s.mcp/other and also under com.toolhive.k8s.mcp/github; the upstream registry allows a remote URL under one name only',
    ]);
  });
});

describe('versions', () => {
  it.each<[string, string | undefined, string | undefined, string | undefined, string]>([
    // route registry-version, resource registry-version, image, expected
    ['registry-version of the route', '2.0.0', '1.5.0', 'ghcr.io/x/y:1.2.3', '2.0.0'],
    ['registry-version of the resource', undefined, 'v1.5.0-rc.1', 'ghcr.io/x/y:1.2.3', 'v1.5.0-rc.1'],
    ['a semver image tag', undefined, undefined, 'ghcr.io/x/y:1.2.3', '1.2.3'],
    ['a v-prefixed image tag, kept as written', undefined, undefined, 'ghcr.io/x/y:v1.2.3', 'v1.2.3'],
    ['a tag pinned by digest: the tag', undefined, undefined, 'ghcr.io/x/y:1.2.3@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', '1.2.3'],
    ['a digest only', undefined, undefined, 'ghcr.io/x/y@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', '1.0.0'],
    ['a registry port is not a tag', undefined, undefined, 'registry.local:5000/x/y', '1.0.0'],
    ['tag latest', undefined, undefined, 'ghcr.io/x/y:latest', '1.0.0'],
    ['a two-part tag', undefined, undefined, 'ghcr.io/x/y:1.2', '1.0.0'],
    ['a prerelease tag', undefined, undefined, 'ghcr.io/x/y:1.2.3-rc.1', '1.2.3-rc.1'],
    ['no image', undefined, undefined, undefined, '1.0.0'],
  ])('%s', (_, routeVersion, resourceVersion, image, expected) => {
    const server = mcpServer('mcp', 'github', {
      annotations: annotations({ 'registry-description': 'x', ...(resourceVersion ? { 'registry-version': resourceVersion } : {}) }),
      spec: { transport: 'streamable-http', ...(image ? { image } : {}) },
    });
    const exportedRoute = route({ annotations: annotations({ 'registry-export': 'true', ...(routeVersion ? { 'registry-version': routeVersion } : {}) }) });
    expect(planValid(world(server, exportedRoute)).entries[0]!.version).toBe(expected);
  });

  it('only MCPServers have an image version; other kinds default to 1.0.0', () => {
    const proxy = remoteProxy('mcp', 'notion', { annotations: annotations({ 'registry-description': 'x' }), spec: { remoteUrl: 'https://mcp.notion.com/mcp', image: 'x:2.0.0' } });
    expect(planValid(world(proxy, route({ rules: [backendTo('mcp-notion-remote-proxy')] }))).entries[0]!.version).toBe('1.0.0');
  });

  it('reads image tags', () => {
    expect(imageTag('nginx')).toBeUndefined();
    expect(imageTag('nginx:1.25')).toBe('1.25');
    expect(imageTag('localhost:5000/nginx')).toBeUndefined();
    expect(imageTag('localhost:5000/nginx:v2.0.0')).toBe('v2.0.0');
    expect(versionFromImage('x:01.2.3')).toBeUndefined();
  });
});

describe('route-only exports', () => {
  const docs = (extra: Record<string, string> = {}, rules = [backendTo('docs-search')]) =>
    route({ name: 'docs', uid: ROUTE_UID, annotations: annotations({ 'registry-export': 'true', 'registry-name': 'docs', 'registry-description': 'Docs search', ...extra }), rules });

  it('transport streamable-http by default, metadata.kubernetes is the route', () => {
    const [entry] = planValid(world(docs())).entries;
    expect(entry!.remotes).toEqual([{ type: 'streamable-http', url: 'https://mcp.example.com/' }]);
    expect(provided(entry!)[TOOLHIVE_PUBLISHER_KEY]['https://mcp.example.com/']!.metadata.kubernetes).toEqual({ kind: 'HTTPRoute', namespace: 'mcp', name: 'docs', uid: ROUTE_UID });
  });

  it('registry-transport sse', () => {
    const [entry] = planValid(world(docs({ 'registry-transport': 'SSE' }, [backendTo('docs-search', { matches: [{ path: { type: 'PathPrefix', value: '/sse' } }] })]))).entries;
    expect(entry!.remotes).toEqual([{ type: 'sse', url: 'https://mcp.example.com/sse' }]);
  });

  it('without registry-name or registry-description the route is skipped', () => {
    const route1 = route({ name: 'docs', annotations: annotations({ 'registry-export': 'true', 'registry-description': 'Docs' }), rules: [backendTo('docs-search')] });
    expect(skipsOf(planValid(world(route1)))).toEqual([
      'HTTPRoute mcp/docs: backend is not a known MCP resource (to export a remote MCP server that ToolHive does not manage, set registry-name and registry-description)',
    ]);
  });
});

describe('deletion in progress', () => {
  it('a route being deleted contributes nothing and is not reported', () => {
    expect(planValid(world(mcpServer('mcp', 'github'), route({ deleting: true })))).toEqual({ entries: [], skipped: [], warnings: [], pending: [] });
  });

  it('an MCP resource being deleted contributes no direct remote and is not reported', () => {
    const server = mcpServer('mcp', 'github', { deleting: true, annotations: annotations({ 'registry-export': 'true', 'registry-url': 'https://x.example.com/mcp', 'registry-description': 'x' }) });
    expect(planValid([server])).toEqual({ entries: [], skipped: [], warnings: [], pending: [] });
  });

  it('a route to an MCP resource being deleted yields nothing for it', () => {
    const result = planValid(world(mcpServer('mcp', 'github', { deleting: true }), route()));
    expect(skipsOf(result)).toEqual(['HTTPRoute mcp/github: MCPServer mcp/github is being deleted']);
  });
});

describe('skip reasons', () => {
  it.each<[string, KubeObject[], string[]]>([
    ['contract error on the route: its first error', [mcpServer('mcp', 'github'), route({ annotations: annotations({ 'registry-export': 'true', 'registry-tier': 'Gold', 'registry-colour': 'red' }) })],
      ['HTTPRoute mcp/github: annotation toolhive.stacklok.dev/registry-tier: "Gold" is not one of Official, Community, Partner (and 1 more contract error)']],
    ['contract error on an exported resource', [mcpServer('mcp', 'github', { annotations: annotations({ 'registry-export': 'true', 'registry-url': 'ftp://x.example.com', 'registry-description': 'x' }) })],
      ['MCPServer mcp/github: annotation toolhive.stacklok.dev/registry-url: "ftp://x.example.com" has scheme ftp, only https and http are allowed']],
    ['contract error on the resource behind a route', [mcpServer('mcp', 'github', { annotations: annotations({ 'registry-description': 'x', 'registry-version': 'latest' }) }), route()],
      ['HTTPRoute mcp/github: MCPServer mcp/github has annotation errors: annotation toolhive.stacklok.dev/registry-version: "latest" "latest" is not allowed: publish a fixed version MAJOR.MINOR.PATCH']],
    ['missing registry-description', [mcpServer('mcp', 'github', { annotations: {} }), route()],
      ['HTTPRoute mcp/github: entry com.toolhive.k8s.mcp/github: missing registry-description']],
    ['backend is not a known MCP resource', [route({ rules: [backendTo('plain-service')] })],
      ['HTTPRoute mcp/github: backend is not a known MCP resource']],
  ])('%s', (_, objects, skips) => {
    const result = planValid(world(...objects));
    expect(result.entries).toEqual([]);
    expect(skipsOf(result).map((line, i) => (skips[i] && line.startsWith(skips[i]!) ? skips[i] : line))).toEqual(skips);
  });

  it('a direct URL the registry would reject (an undeclared {variable})', () => {
    const server = mcpServer('mcp', 'github', { annotations: annotations({ 'registry-export': 'true', 'registry-url': 'https://mcp.example.com/{tenant}/mcp', 'registry-description': 'x' }) });
    expect(skipsOf(planValid([server]))).toEqual([
      'MCPServer mcp/github: entry com.toolhive.k8s.mcp/github: the registry would reject the entry: /remotes/0/url uses {tenant}, which variables does not declare',
    ]);
  });

  it('a direct export of an MCPServer with an unknown transport', () => {
    const server = mcpServer('mcp', 'github', { spec: { transport: 'grpc' }, annotations: annotations({ 'registry-export': 'true', 'registry-url': 'https://mcp.example.com/mcp', 'registry-description': 'x' }) });
    expect(skipsOf(planValid([server]))).toEqual(['MCPServer mcp/github: spec.transport "grpc" is not stdio, sse or streamable-http']);
  });

  it('a Gateway address that is not a host', () => {
    const result = planValid([...world(mcpServer('mcp', 'github')), gateway({ addresses: [{ type: 'IPAddress', value: 'not a host' }] }), route({ hostnames: [] })]);
    expect(skipsOf(result)).toEqual(['HTTPRoute mcp/github: listener https of Gateway infra/public: "not a host" is not a valid host for a URL']);
  });

  it('an exported resource feeding a skipped entry is skipped too; a non-exported one is not', () => {
    const exported = mcpServer('mcp', 'github', { annotations: annotations({ 'registry-export': 'true', 'registry-url': 'https://x.example.com/mcp' }) });
    expect(skipsOf(planValid(world(exported, route())))).toEqual([
      'MCPServer mcp/github: entry com.toolhive.k8s.mcp/github: missing registry-description',
      'HTTPRoute mcp/github: entry com.toolhive.k8s.mcp/github: missing registry-description',
    ]);
  });

  it('contract warnings of exported objects are plan warnings', () => {
    const server = mcpServer('mcp', 'github', { annotations: annotations({ 'registry-export': 'true', 'registry-url': 'http://x.example.com/mcp', 'registry-description': 'x' }) });
    expect(warningsOf(planValid([server]))).toEqual([
      'MCPServer mcp/github: annotation toolhive.stacklok.dev/registry-url: "http://x.example.com/mcp" uses http; the upstream MCP registry accepts only https remotes',
    ]);
  });
});

describe('the 4096-byte publisher-provided budget', () => {
  const definitions = JSON.stringify(Array.from({ length: 40 }, (_, i) => ({ name: `tool_${i}`, description: 'd'.repeat(80) })));
  const manyTools = Array.from({ length: 200 }, (_, i) => `a_rather_long_tool_name_${i}`).join(',');

  it('leaves out tool_definitions first, with a warning', () => {
    const server = mcpServer('mcp', 'github', { annotations: annotations({ 'registry-description': 'x', 'tool-definitions': definitions, 'registry-tools': 'a,b' }) });
    const result = planValid(world(server, route()));
    const extension = provided(result.entries[0]!)[TOOLHIVE_PUBLISHER_KEY]['https://mcp.example.com/mcp']!;
    expect(extension.tool_definitions).toBeUndefined();
    expect(extension.tools).toEqual(['a', 'b']);
    expect(warningsOf(result)).toEqual([expect.stringMatching(/^HTTPRoute mcp\/github: entry com.toolhive.k8s.mcp\/github: publisher-provided metadata is \d+ bytes, over the registry's limit of 4096; tool_definitions left out$/)]);
  });

  it('then tools', () => {
    const server = mcpServer('mcp', 'github', { annotations: annotations({ 'registry-description': 'x', 'registry-tools': manyTools }) });
    const result = planValid(world(server, route()));
    expect(provided(result.entries[0]!)[TOOLHIVE_PUBLISHER_KEY]['https://mcp.example.com/mcp']!.tools).toBeUndefined();
    expect(warningsOf(result)).toEqual([expect.stringContaining('; tools left out')]);
  });

  it('still too large: the entry is skipped', () => {
    const hostnames = Array.from({ length: 16 }, (_, i) => `a-fairly-long-host-name-number-${i}.mcp.example.com`);
    const listeners = Array.from({ length: 8 }, (_, i) => https({ name: `https-${i}`, port: 8443 + i }));
    const result = planValid([...world(mcpServer('mcp', 'github')), gateway({ listeners: [...listeners, http()] }), route({ hostnames })]);
    expect(result.entries).toEqual([]);
    expect(skipsOf(result)).toEqual([expect.stringMatching(/entry com.toolhive.k8s.mcp\/github: publisher-provided metadata is \d+ bytes even without tools/)]);
  });
});

describe('flavor upstream', () => {
  it('drops http and loopback remotes with a warning, keeps https ones', () => {
    const server = mcpServer('mcp', 'github', { annotations: annotations({ 'registry-export': 'true', 'registry-url': 'https://localhost/mcp', 'registry-description': 'x' }) });
    const result = planValid([...world(server), gateway({ listeners: [http(), https()] }), route()], { flavor: 'upstream' });
    expect(urlsOf(result)).toEqual(['https://mcp.example.com/mcp']);
    expect(warningsOf(result)).toEqual([
      'MCPServer mcp/github: annotation toolhive.stacklok.dev/registry-url: "https://localhost/mcp" points at a loopback host; the upstream MCP registry rejects it',
      'MCPServer mcp/github: remote https://localhost/mcp left out for the upstream registry: it points at a loopback host; the upstream MCP registry rejects it',
      'HTTPRoute mcp/github: remote http://mcp.example.com/mcp left out for the upstream registry: it uses http; the upstream MCP registry accepts only https remotes',
    ]);
  });

  it('an entry left without remotes is skipped', () => {
    const result = planValid([...world(mcpServer('mcp', 'github')), gateway({ listeners: [http()] }), route()], { flavor: 'upstream' });
    expect(result.entries).toEqual([]);
    expect(skipsOf(result)).toEqual(['HTTPRoute mcp/github: entry com.toolhive.k8s.mcp/github: no remote the upstream registry accepts (https only, no loopback hosts)']);
  });

  it('the toolhive flavor keeps http remotes', () => {
    const result = planValid([...world(mcpServer('mcp', 'github')), gateway({ listeners: [http()] }), route()]);
    expect(urlsOf(result)).toEqual(['http://mcp.example.com/mcp']);
  });
});

describe('authz-claims', () => {
  const plannedWith = (claims: string | undefined) => {
    const values: Record<string, string> = { 'registry-description': 'GitHub MCP server' };
    if (claims !== undefined) values['authz-claims'] = claims;
    const server = mcpServer('mcp-servers', 'github', { annotations: annotations(values) });
    const result = planValid(world(server, route({ namespace: 'mcp-servers', hostnames: ['mcp.company.com'], rules: [backendTo('mcp-github-proxy')] })));
    return result.entries[0]!;
  };

  it('travel beside the entry (for the ToolHive client), never inside its JSON', () => {
    const entry = plannedWith('{"org": "acme", "teams": ["a", "b"]}');
    expect(entryClaims(entry)).toEqual({ org: 'acme', teams: ['a', 'b'] });
    expect(JSON.stringify(entry)).not.toContain('acme');
    expect(entryClaims({ ...entry, version: '2.0.0' })).toEqual({ org: 'acme', teams: ['a', 'b'] });
  });

  it('change the ownership record when they change, so new claims reach the registry as a new version', () => {
    const record = (entry: ServerEntry) => (provided(entry) as unknown as Record<string, { claims?: string }>)[OWNERSHIP_KEY]!;
    const first = record(plannedWith('{"org": "acme"}')).claims;
    expect(first).toMatch(/^[0-9a-f]{16}$/);
    expect(record(plannedWith('{ "org" : "acme" }')).claims).toBe(first);
    expect(record(plannedWith('{"org": "other"}')).claims).not.toBe(first);
    const none = plannedWith(undefined);
    expect(record(none).claims).toBeUndefined();
    expect(entryClaims(none)).toBeUndefined();
  });
});
