// MCPServerEntry in the planner (discovery.md section 1): an exported entry contributes a
// direct remote with spec.remoteUrl (registry-url overrides it), typed by spec.transport;
// its name, metadata and version come from its own annotations like an MCP resource's;
// no route leads to it; its phase (Valid) decides `pending`; the publisher's namespace
// scope and uncertainty rules treat it as an exporting kind that reads only itself.

import { describe, expect, it } from 'vitest';
import { ObjectIndex } from '../../../src/cluster/object-index.ts';
import type { KubeObject } from '../../../src/kubernetes/objects.ts';
import { entryClaims } from '../../../src/planner/entry-claims.ts';
import { PlanCache } from '../../../src/planner/plan-cache.ts';
import { plan } from '../../../src/planner/plan.ts';
import { NO_PHASE_WARNING } from '../../../src/planner/readiness.ts';
import { OWNERSHIP_KEY, PUBLISHER_PROVIDED_KEY, SERVER_SCHEMA_URL, TOOLHIVE_PUBLISHER_KEY } from '../../../src/planner/server-entry.ts';
import { namespaceScopedLookups } from '../../../src/publisher/scoped-lookups.ts';
import { sourceUncertainty } from '../../../src/publishing-rules/uncertainty.ts';
import { annotations, backendTo, mcpServer, planValid, route, serverEntry, skipsOf, urlsOf, warningsOf, world } from './fixtures.ts';

const UID = '4d7e9a10-2b3c-4d5e-8f90-a1b2c3d4e5f6';
const exported = (extra: Record<string, string> = {}) => annotations({ 'registry-export': 'true', 'registry-description': 'DeepWiki MCP server', ...extra });
const withSpec = (spec: Record<string, unknown>, extra: Record<string, string> = {}) => serverEntry('mcp', 'deepwiki', { annotations: exported(extra), spec: { groupRef: { name: 'remote' }, ...spec } });

describe('the remote of an exported MCPServerEntry', () => {
  it.each<[string, unknown, 'sse' | 'streamable-http']>([
    ['sse', 'sse', 'sse'],
    ['streamable-http', 'streamable-http', 'streamable-http'],
    ['missing', undefined, 'streamable-http'],
    ['not in the CRD enum', 'stdio', 'streamable-http'],
    ['not a string', 5, 'streamable-http'],
  ])('spec.transport %s: type %s', (_, transport, type) => {
    const result = planValid([withSpec({ remoteUrl: 'https://mcp.deepwiki.com/sse', ...(transport === undefined ? {} : { transport }) })]);
    expect(result.entries.map((entry) => entry.remotes)).toEqual([[{ type, url: 'https://mcp.deepwiki.com/sse' }]]);
    expect(result.skipped).toEqual([]);
  });

  it.each<[string, Record<string, string>, string]>([
    ['spec.remoteUrl', {}, 'https://mcp.deepwiki.com/mcp'],
    ['spec.remoteUrl, trimmed as the registry-url rule does', {}, 'https://mcp.deepwiki.com/mcp'],
    ['registry-url overrides spec.remoteUrl', { 'registry-url': 'https://deepwiki.company.com/mcp' }, 'https://deepwiki.company.com/mcp'],
    ['registry-url, normalized', { 'registry-url': '  https://deepwiki.company.com/mcp ' }, 'https://deepwiki.company.com/mcp'],
  ])('%s', (what, extra, url) => {
    const remoteUrl = what.includes('trimmed') ? ' https://mcp.deepwiki.com/mcp ' : 'https://mcp.deepwiki.com/mcp';
    const result = planValid([withSpec({ remoteUrl, transport: 'sse' }, extra)]);
    expect(result.entries.flatMap((entry) => entry.remotes)).toEqual([{ type: 'sse', url }]);
  });

  it.each<[string, unknown, string]>([
    ['no spec.remoteUrl and no registry-url', undefined, 'has neither registry-url nor spec.remoteUrl, so there is no URL to publish'],
    ['an empty spec.remoteUrl', '', 'has neither registry-url nor spec.remoteUrl, so there is no URL to publish'],
    ['a spec.remoteUrl that is not a URL', 'https://', 'spec.remoteUrl "https://" is not an absolute URL; set registry-url to the URL clients should use'],
    ['a spec.remoteUrl with user information', 'https://me:secret@wiki.example.com/mcp', 'spec.remoteUrl "https://me:secret@wiki.example.com/mcp" must not carry user information; set registry-url to the URL clients should use'],
    ['a spec.remoteUrl with a fragment', 'https://wiki.example.com/mcp#x', 'spec.remoteUrl "https://wiki.example.com/mcp#x" must not have a fragment; set registry-url to the URL clients should use'],
    ['a spec.remoteUrl that is an array', ['https://wiki.example.com/mcp'], 'spec.remoteUrl is not a string (it is an array), so there is no URL to publish'],
  ])('%s: skipped', (_, remoteUrl, reason) => {
    const result = planValid([withSpec(remoteUrl === undefined ? { transport: 'sse' } : { remoteUrl, transport: 'sse' })]);
    expect(result.entries).toEqual([]);
    expect(skipsOf(result)).toEqual([`MCPServerEntry mcp/deepwiki: ${reason}`]);
  });

  it('a spec.remoteUrl the upstream registry would refuse is published to ToolHive with warnings, and left out upstream', () => {
    const entry = withSpec({ remoteUrl: 'http://localhost:8080/mcp', transport: 'streamable-http' });
    const toolhive = planValid([entry]);
    expect(urlsOf(toolhive)).toEqual(['http://localhost:8080/mcp']);
    expect(warningsOf(toolhive)).toEqual([
      'MCPServerEntry mcp/deepwiki: spec.remoteUrl "http://localhost:8080/mcp" uses http; the upstream MCP registry accepts only https remotes',
      'MCPServerEntry mcp/deepwiki: spec.remoteUrl "http://localhost:8080/mcp" points at a loopback host; the upstream MCP registry rejects it',
    ]);
    const upstream = planValid([entry], { flavor: 'upstream' });
    expect(upstream.entries).toEqual([]);
    expect(skipsOf(upstream)).toEqual(['MCPServerEntry mcp/deepwiki: entry com.toolhive.k8s.mcp/deepwiki: no remote the upstream registry accepts (https only, no loopback hosts)']);
    expect(warningsOf(upstream)).toContain('MCPServerEntry mcp/deepwiki: remote http://localhost:8080/mcp left out for the upstream registry: it uses http; the upstream MCP registry accepts only https remotes');
  });

  it('an https registry-url rescues an http spec.remoteUrl upstream, without a word about the spec', () => {
    const result = planValid([withSpec({ remoteUrl: 'http://deepwiki.mcp.svc.cluster.local/mcp', transport: 'sse' }, { 'registry-url': 'https://deepwiki.company.com/sse' })], { flavor: 'upstream' });
    expect(urlsOf(result)).toEqual(['https://deepwiki.company.com/sse']);
    expect(result.warnings).toEqual([]);
  });
});

describe('the entry of an MCPServerEntry', () => {
  it('metadata from its own annotations, version 1.0.0, metadata.kubernetes and the ownership record name it', () => {
    const entry = serverEntry('mcp', 'deepwiki', {
      uid: UID,
      annotations: exported({
        'registry-title': 'DeepWiki',
        'registry-icon': 'https://deepwiki.com/icon.png',
        'registry-tier': 'community',
        'registry-tags': 'docs,wiki',
        'registry-category': 'Research',
        'registry-tools': 'ask_question,read_wiki_structure',
        'tool-definitions': '[{"name":"ask_question","description":"Ask about a repository"}]',
        'authz-claims': '{"groups":["dev"]}',
      }),
    });
    const [published, ...rest] = planValid([entry], { owner: 'cluster-a' }).entries;
    expect(rest).toEqual([]);
    const source = { kind: 'MCPServerEntry', namespace: 'mcp', name: 'deepwiki', uid: UID };
    // As sent (JSON): the claims travel beside the entry, not in it.
    expect(JSON.parse(JSON.stringify(published))).toEqual({
      $schema: SERVER_SCHEMA_URL,
      name: 'com.toolhive.k8s.mcp/deepwiki',
      description: 'DeepWiki MCP server',
      title: 'DeepWiki',
      version: '1.0.0',
      icons: [{ src: 'https://deepwiki.com/icon.png' }],
      remotes: [{ type: 'streamable-http', url: 'https://mcp.deepwiki.com/mcp' }],
      _meta: {
        [PUBLISHER_PROVIDED_KEY]: {
          [TOOLHIVE_PUBLISHER_KEY]: {
            'https://mcp.deepwiki.com/mcp': {
              status: 'active',
              tier: 'Community',
              tools: ['ask_question', 'read_wiki_structure'],
              tags: ['docs', 'wiki', 'research'],
              tool_definitions: [{ name: 'ask_question', description: 'Ask about a repository' }],
              metadata: { kubernetes: source },
            },
          },
          [OWNERSHIP_KEY]: { owner: 'cluster-a', sources: [source], claims: expect.stringMatching(/^[0-9a-f]{16}$/) },
        },
      },
    });
    expect(entryClaims(published!)).toEqual({ groups: ['dev'] });
  });

  it.each<[string, Record<string, string>, Record<string, unknown>, string]>([
    ['default: <prefix>/<name>', {}, {}, 'com.toolhive.k8s.mcp/deepwiki@1.0.0'],
    ['a bare registry-name', { 'registry-name': 'wiki' }, {}, 'com.toolhive.k8s.mcp/wiki@1.0.0'],
    ['a full registry-name', { 'registry-name': 'io.github.example/deepwiki' }, {}, 'io.github.example/deepwiki@1.0.0'],
    ['registry-version', { 'registry-version': 'v2.3.0' }, {}, 'com.toolhive.k8s.mcp/deepwiki@v2.3.0'],
    ['a custom prefix template', {}, { namePrefix: 'io.github.acme.{namespace}' }, 'io.github.acme.mcp/deepwiki@1.0.0'],
  ])('name and version: %s', (_, extra, options, expected) => {
    const result = planValid([serverEntry('mcp', 'deepwiki', { annotations: exported(extra) })], options);
    expect(result.entries.map((entry) => `${entry.name}@${entry.version}`)).toEqual([expected]);
  });

  it.each<[string, KubeObject, string[]]>([
    ['not exported: nothing, not reported', serverEntry('mcp', 'deepwiki', { annotations: annotations({ 'registry-description': 'x' }) }), []],
    ['registry-export "false"', serverEntry('mcp', 'deepwiki', { annotations: annotations({ 'registry-export': 'false', 'registry-description': 'x' }) }), []],
    ['registry-url without registry-export', serverEntry('mcp', 'deepwiki', { annotations: annotations({ 'registry-url': 'https://x.example.com/mcp', 'registry-description': 'x' }) }), ['MCPServerEntry mcp/deepwiki: has registry-url but not registry-export: "true", so it is not exported']],
    ['no description', serverEntry('mcp', 'deepwiki', { annotations: annotations({ 'registry-export': 'true' }) }), ['MCPServerEntry mcp/deepwiki: entry com.toolhive.k8s.mcp/deepwiki: missing registry-description']],
    ['a contract error', serverEntry('mcp', 'deepwiki', { annotations: exported({ 'registry-tier': 'Gold' }) }), ['MCPServerEntry mcp/deepwiki: annotation toolhive.stacklok.dev/registry-tier: "Gold" is not one of Official, Community, Partner']],
    ['registry-transport, which is for routes', serverEntry('mcp', 'deepwiki', { annotations: exported({ 'registry-transport': 'sse' }) }), ['MCPServerEntry mcp/deepwiki: annotation toolhive.stacklok.dev/registry-transport: "sse" is only for HTTPRoutes: an MCP resource\'s transport comes from its spec']],
    ['being deleted: nothing, not reported', serverEntry('mcp', 'deepwiki', { deleting: true }), []],
    ['another API group: not ToolHive\'s, ignored', { ...serverEntry('mcp', 'deepwiki'), apiVersion: 'example.com/v1' }, []],
  ])('%s', (_, entry, skips) => {
    const result = planValid([entry]);
    expect(result.entries).toEqual([]);
    expect(skipsOf(result)).toEqual(skips);
  });

  it('the deprecated v1alpha1 plans alike', () => {
    const result = planValid([serverEntry('mcp', 'deepwiki', { apiVersion: 'toolhive.stacklok.dev/v1alpha1' })]);
    expect(urlsOf(result)).toEqual(['https://mcp.deepwiki.com/mcp']);
  });
});

describe('with other exports', () => {
  it('an MCPServer under the same name in the same namespace: one entry, both direct remotes in namespace/name order', () => {
    const server = mcpServer('mcp', 'wiki', { annotations: annotations({ 'registry-export': 'true', 'registry-name': 'wiki', 'registry-url': 'https://wiki.company.com/mcp', 'registry-description': 'From the server' }) });
    const entry = serverEntry('mcp', 'deepwiki', { annotations: exported({ 'registry-name': 'wiki' }) });
    const result = planValid([server, entry]);
    expect(result.entries.map((e) => e.name)).toEqual(['com.toolhive.k8s.mcp/wiki']);
    expect(urlsOf(result)).toEqual(['https://mcp.deepwiki.com/mcp', 'https://wiki.company.com/mcp']);
    expect(result.entries[0]!.description).toBe('DeepWiki MCP server');
    expect(warningsOf(result)).toEqual([
      'MCPServer mcp/wiki: registry-description "From the server" disagrees with MCPServerEntry mcp/deepwiki\'s "DeepWiki MCP server" for entry com.toolhive.k8s.mcp/wiki; the first wins (direct exports in namespace/name order, then the MCP resources behind routes, routes in namespace/name order and rules in order)',
    ]);
  });

  it('one name claimed from two namespaces: both are skipped', () => {
    const name = { 'registry-name': 'io.github.example/wiki' };
    const result = planValid([serverEntry('team-a', 'deepwiki', { annotations: exported(name) }), serverEntry('team-b', 'deepwiki', { annotations: exported(name) })]);
    expect(result.entries).toEqual([]);
    expect(skipsOf(result)).toEqual([
      'MCPServerEntry team-a/deepwiki: entry io.github.example/wiki: registry name is claimed from namespaces team-a and team-b; a registry name belongs to one namespace',
      'MCPServerEntry team-b/deepwiki: entry io.github.example/wiki: registry name is claimed from namespaces team-a and team-b; a registry name belongs to one namespace',
    ]);
  });

  it('no route leads to an MCPServerEntry, not even through a Service it would own', () => {
    const service: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'deepwiki', namespace: 'mcp', ownerReferences: [{ apiVersion: 'toolhive.stacklok.dev/v1beta1', kind: 'MCPServerEntry', name: 'deepwiki', uid: 'u', controller: true }] } };
    const entry = serverEntry('mcp', 'deepwiki', { annotations: annotations({ 'registry-description': 'not exported itself' }) });
    const result = planValid(world(entry, service, route({ name: 'wiki', rules: [backendTo('deepwiki')] })));
    expect(result.entries).toEqual([]);
    expect(skipsOf(result)).toEqual([expect.stringMatching(/^HTTPRoute mcp\/wiki: backend is not a known MCP resource/)]);
  });
});

describe('readiness (phase Valid)', () => {
  it.each<[string, string | null, string[], string[]]>([
    ['Valid', 'Valid', [], []],
    ['Pending', 'Pending', ['com.toolhive.k8s.mcp/deepwiki: MCPServerEntry mcp/deepwiki is Pending'], []],
    ['Failed', 'Failed', ['com.toolhive.k8s.mcp/deepwiki: MCPServerEntry mcp/deepwiki is Failed'], []],
    ['Ready (an MCPServer\'s phase, not an entry\'s)', 'Ready', ['com.toolhive.k8s.mcp/deepwiki: MCPServerEntry mcp/deepwiki is Ready'], []],
    ['no status: ready, with a warning', null, [], [`MCPServerEntry mcp/deepwiki: ${NO_PHASE_WARNING}`]],
  ])('%s', (_, phase, pending, warnings) => {
    const result = planValid([serverEntry('mcp', 'deepwiki', { phase })]);
    expect(result.entries.map((entry) => entry.name)).toEqual(['com.toolhive.k8s.mcp/deepwiki']);
    expect(result.pending.map((p) => `${p.name}: ${p.reason}`)).toEqual(pending);
    expect(warningsOf(result)).toEqual(warnings);
  });

  it('a name fed by a Pending entry and a Ready MCPServer is not pending', () => {
    const server = mcpServer('mcp', 'wiki', { annotations: annotations({ 'registry-export': 'true', 'registry-name': 'wiki', 'registry-url': 'https://wiki.company.com/mcp' }) });
    const result = planValid([server, serverEntry('mcp', 'deepwiki', { phase: 'Pending', annotations: exported({ 'registry-name': 'wiki' }) })]);
    expect(result.pending).toEqual([]);
  });

  it('a PlanCache gives the same plan, and a change of phase alone changes pending', () => {
    const cache = new PlanCache();
    const pendingEntry = serverEntry('mcp', 'deepwiki', { phase: 'Pending' });
    const first = plan([pendingEntry], {}, { cache });
    expect(first).toEqual(plan([pendingEntry]));
    expect(first.pending.map((p) => p.name)).toEqual(['com.toolhive.k8s.mcp/deepwiki']);
    const valid = plan([{ ...pendingEntry, status: { phase: 'Valid' } }], {}, { cache });
    expect(valid.pending).toEqual([]);
    expect(valid.entries).toEqual(first.entries);
  });
});

describe('the publisher\'s view of MCPServerEntry', () => {
  it('--namespace scopes MCPServerEntries like the other exporting kinds', () => {
    const lookups = namespaceScopedLookups(new ObjectIndex([serverEntry('team-a', 'deepwiki'), serverEntry('team-b', 'context')]), ['team-a']);
    expect(lookups.list('MCPServerEntry').map((object) => object.metadata?.name)).toEqual(['deepwiki']);
    expect(lookups.list('MCPServerEntry', 'team-b')).toEqual([]);
    expect(lookups.get('MCPServerEntry', 'team-b', 'context')).toBeDefined();
    expect(plan(lookups).entries.map((entry) => entry.name)).toEqual(['com.toolhive.k8s.team-a/deepwiki']);
  });

  it('an MCPServerEntry source reads only its own kind; a route never reads MCPServerEntries', () => {
    const lookups = new ObjectIndex([]);
    const source = { kind: 'MCPServerEntry', namespace: 'mcp', name: 'deepwiki' };
    expect(sourceUncertainty(source, lookups, new Map([['MCPServer', 'not synced'], ['HTTPRoute', 'not synced']]))).toBeUndefined();
    expect(sourceUncertainty(source, lookups, new Map([['MCPServerEntry', 'not synced']]))).toEqual({ category: 'unknown kind', reason: 'MCPServerEntry objects are not known for certain: not synced' });
    expect(sourceUncertainty({ kind: 'HTTPRoute', namespace: 'mcp', name: 'wiki' }, lookups, new Map([['MCPServerEntry', 'not synced']]))).toBeUndefined();
  });
});
