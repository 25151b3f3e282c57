// One rule is one endpoint (discovery.md section 2): when the backendRefs of one forwarding
// rule reach several MCP resources (a canary or a blue-green switch, as Flagger and Argo
// Rollouts drive them by moving weights), the rule's URL belongs to the MCP resource of the
// rule's first backendRef that names one, whatever the weights, as long as some backendRef
// of the rule forwards. The others get nothing through that rule and are named in one
// warning; metadata and base version are the first resource's; the route's registry-name
// still names the entry. A rollout that only moves weights changes nothing in the plan.

import { describe, expect, it } from 'vitest';
import { ObjectIndex } from '../../../src/cluster/object-index.ts';
import { judgeObject } from '../../../src/contract/judge.ts';
import { buildExportIndex } from '../../../src/contract/name-claims.ts';
import { DEFAULT_CONTRACT_OPTIONS } from '../../../src/contract/types.ts';
import type { BackendRef, HTTPRouteRule, KubeObject } from '../../../src/kubernetes/objects.ts';
import { OWNERSHIP_KEY, PUBLISHER_PROVIDED_KEY, TOOLHIVE_PUBLISHER_KEY } from '../../../src/planner/server-entry.ts';
import type { PlanResult } from '../../../src/planner/result.ts';
import { annotations, mcpServer, planValid, remoteProxy, route, skipsOf, urlsOf, warningsOf, world } from './fixtures.ts';

const stable = mcpServer('mcp', 'github', {
  annotations: annotations({ 'registry-description': 'GitHub MCP server', 'registry-title': 'GitHub' }),
  spec: { image: 'ghcr.io/github/github-mcp-server:v1.4.0', transport: 'streamable-http' },
});
const canary = mcpServer('mcp', 'github-canary', {
  annotations: annotations({ 'registry-description': 'GitHub MCP server (canary)', 'registry-title': 'GitHub canary' }),
  spec: { image: 'ghcr.io/github/github-mcp-server:v1.5.0-rc.1', transport: 'streamable-http' },
  phase: 'Pending',
});

const ref = (name: string, weight?: number, extra: Partial<BackendRef> = {}): BackendRef => ({ name, port: 8080, ...(weight === undefined ? {} : { weight }), ...extra });
const split = (...backendRefs: BackendRef[]): HTTPRouteRule => ({ backendRefs });
const prefixStripped = (prefix: string, rule: HTTPRouteRule): HTTPRouteRule => ({
  ...rule,
  matches: [{ path: { type: 'PathPrefix', value: prefix } }],
  filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } }],
});

/** The warning on a rule that splits traffic, as the planner words it. */
const SPLIT_WARNING = 'HTTPRoute mcp/github: rule 1 has backendRefs to MCPServer mcp/github and MCPServer mcp/github-canary: one rule is one endpoint, published for MCPServer mcp/github (the first of them, whatever the weights); MCPServer mcp/github-canary gets no remote through this rule';

function rollout(stableWeight: number | undefined, canaryWeight: number | undefined, routeAnnotations?: Record<string, string>): PlanResult {
  return planValid(world(stable, canary, route({ annotations: routeAnnotations, rules: [split(ref('mcp-github-proxy', stableWeight), ref('mcp-github-canary-proxy', canaryWeight))] })));
}

function provided(result: PlanResult, index = 0): Record<string, any> {
  return result.entries[index]!._meta[PUBLISHER_PROVIDED_KEY] as Record<string, any>;
}

function sourcesOf(result: PlanResult, index = 0): string[] {
  return provided(result, index)[OWNERSHIP_KEY].sources.map((s: { kind: string; namespace: string; name: string }) => `${s.kind} ${s.namespace}/${s.name}`);
}

describe('a rule split between a stable and a canary MCPServer', () => {
  it.each<[string, number | undefined, number | undefined]>([
    ['100/0', 100, 0],
    ['90/10', 90, 10],
    ['50/50', 50, 50],
    ['0/100', 0, 100],
    ['default weights', undefined, undefined],
  ])('%s: one entry named after the first backend, its URL, its metadata and version', (_, stableWeight, canaryWeight) => {
    const result = rollout(stableWeight, canaryWeight);
    expect(result.entries.map((entry) => entry.name)).toEqual(['com.toolhive.k8s.mcp/github']);
    expect(urlsOf(result)).toEqual(['https://mcp.example.com/mcp']);
    expect(result.entries[0]).toMatchObject({ description: 'GitHub MCP server', title: 'GitHub', version: 'v1.4.0' });
    expect(provided(result)[TOOLHIVE_PUBLISHER_KEY]['https://mcp.example.com/mcp'].metadata.kubernetes).toMatchObject({ kind: 'MCPServer', namespace: 'mcp', name: 'github' });
    // The canary contributes nothing: not a source, and its phase does not hold the entry.
    expect(sourcesOf(result)).toEqual(['HTTPRoute mcp/github', 'MCPServer mcp/github']);
    expect(result.pending).toEqual([]);
    expect(skipsOf(result)).toEqual([]);
    expect(warningsOf(result)).toEqual([SPLIT_WARNING]);
  });

  it('moving the weights changes nothing in the plan (warnings included)', () => {
    const first = rollout(100, 0);
    for (const [a, b] of [[90, 10], [50, 50], [10, 90], [0, 100], [1, 0]] as const) expect(rollout(a, b), `${a}/${b}`).toEqual(first);
  });

  it('positions decide: with the canary first, the entry is the canary\'s', () => {
    const result = planValid(world(stable, canary, route({ rules: [split(ref('mcp-github-canary-proxy', 0), ref('mcp-github-proxy', 100))] })));
    expect(result.entries.map((entry) => [entry.name, entry.version])).toEqual([['com.toolhive.k8s.mcp/github-canary', 'v1.5.0-rc.1']]);
    expect(urlsOf(result)).toEqual(['https://mcp.example.com/mcp']);
    expect(warningsOf(result)).toEqual([
      'HTTPRoute mcp/github: rule 1 has backendRefs to MCPServer mcp/github-canary and MCPServer mcp/github: one rule is one endpoint, published for MCPServer mcp/github-canary (the first of them, whatever the weights); MCPServer mcp/github gets no remote through this rule',
    ]);
  });

  it.each<[string, number, number]>([['90/10', 90, 10], ['0/100', 0, 100]])('%s with registry-name on the route: the route names the entry, the first backend gives the rest', (_, stableWeight, canaryWeight) => {
    const result = rollout(stableWeight, canaryWeight, annotations({ 'registry-export': 'true', 'registry-name': 'io.github.example/github' }));
    expect(result.entries.map((entry) => entry.name)).toEqual(['io.github.example/github']);
    expect(urlsOf(result)).toEqual(['https://mcp.example.com/mcp']);
    expect(result.entries[0]).toMatchObject({ description: 'GitHub MCP server', title: 'GitHub', version: 'v1.4.0' });
    expect(sourcesOf(result)).toEqual(['HTTPRoute mcp/github', 'MCPServer mcp/github']);
    // No "disagrees" warning: the canary's description and title are not candidates.
    expect(warningsOf(result)).toEqual([SPLIT_WARNING]);
  });

  it('no backendRef forwards (0/0): the rule gives nothing, the route is skipped', () => {
    const result = rollout(0, 0);
    expect(result.entries).toEqual([]);
    expect(skipsOf(result)).toEqual(['HTTPRoute mcp/github: no rule of route github forwards to a backend']);
    expect(warningsOf(result)).toEqual([]);
  });

  it('three MCP resources behind one named rule: one warning names the rule and both others', () => {
    const blue = remoteProxy('mcp', 'github-blue');
    const result = planValid(world(stable, canary, blue, route({ rules: [{ name: 'rollout', ...split(ref('mcp-github-proxy', 0), ref('mcp-github-canary-proxy', 50), ref('mcp-github-blue-remote-proxy', 50)) }] })));
    expect(result.entries.map((entry) => entry.name)).toEqual(['com.toolhive.k8s.mcp/github']);
    expect(warningsOf(result)).toEqual([
      'HTTPRoute mcp/github: rule rollout has backendRefs to MCPServer mcp/github, MCPServer mcp/github-canary and MCPRemoteProxy mcp/github-blue: one rule is one endpoint, published for MCPServer mcp/github (the first of them, whatever the weights); MCPServer mcp/github-canary and MCPRemoteProxy mcp/github-blue get no remote through this rule',
    ]);
  });
});

describe('the first backendRef that names an MCP resource', () => {
  const plainService: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'legacy-github', namespace: 'mcp' } };

  it.each<[string, KubeObject[], BackendRef[]]>([
    ['an unknown plain Service first (90/10)', [], [ref('legacy-github', 90), ref('mcp-github-proxy', 10)]],
    ['a known Service without an MCP owner first (100/0)', [plainService], [ref('legacy-github', 100), ref('mcp-github-proxy', 0)]],
    ['another kind of backend first', [], [ref('github-backend', 100, { group: 'example.com', kind: 'Backend' }), ref('mcp-github-proxy', 0)]],
  ])('%s: the MCPServer after it is the rule\'s, even at weight 0', (_, extra, backendRefs) => {
    const result = planValid(world(stable, canary, ...extra, route({ rules: [split(...backendRefs)] })));
    expect(result.entries.map((entry) => entry.name)).toEqual(['com.toolhive.k8s.mcp/github']);
    expect(urlsOf(result)).toEqual(['https://mcp.example.com/mcp']);
    expect(warningsOf(result)).toEqual([]);
    expect(skipsOf(result)).toEqual([]);
  });

  it('a backendRef that redirects itself (HTTPBackendRef filters) never reaches its Service, so it names nothing', () => {
    const redirecting = ref('mcp-github-canary-proxy', 50, { filters: [{ type: 'RequestRedirect' }] } as Partial<BackendRef>);
    const result = planValid(world(stable, canary, route({ rules: [split(redirecting, ref('mcp-github-proxy', 50))] })));
    expect(result.entries.map((entry) => entry.name)).toEqual(['com.toolhive.k8s.mcp/github']);
    expect(warningsOf(result)).toEqual([]);
    // With the MCPServer at weight 0, no backendRef forwards: the rule gives nothing.
    const stopped = planValid(world(stable, canary, route({ rules: [split({ ...redirecting, weight: 100 }, ref('mcp-github-proxy', 0))] })));
    expect(stopped.entries).toEqual([]);
    expect(skipsOf(stopped)).toEqual(['HTTPRoute mcp/github: no rule of route github forwards to a backend']);
  });

  it('the same Service twice in one rule: one resource, no split warning', () => {
    const result = planValid(world(stable, route({ rules: [split(ref('mcp-github-proxy', 90), ref('mcp-github-proxy', 10, { port: 8081 }))] })));
    expect(urlsOf(result)).toEqual(['https://mcp.example.com/mcp']);
    expect(warningsOf(result)).toEqual([]);
  });

  it('two Services of the same MCPServer in one rule: one resource, no split warning', () => {
    const alias: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'github-alias', namespace: 'mcp', ownerReferences: [{ apiVersion: 'toolhive.stacklok.dev/v1beta1', kind: 'MCPServer', name: 'github', uid: 'u', controller: true }] } };
    const result = planValid(world(stable, alias, route({ rules: [split(ref('github-alias', 0), ref('mcp-github-proxy', 100))] })));
    expect(urlsOf(result)).toEqual(['https://mcp.example.com/mcp']);
    expect(warningsOf(result)).toEqual([]);
  });

  it('an ambiguous Service skips the route whatever its weight', () => {
    const ambiguous = [mcpServer('mcp', 'x-remote'), remoteProxy('mcp', 'x')];
    const result = planValid(world(stable, ...ambiguous, route({ rules: [split(ref('mcp-github-proxy', 100), ref('mcp-x-remote-proxy', 0))] })));
    expect(result.entries).toEqual([]);
    expect(skipsOf(result)).toEqual(['HTTPRoute mcp/github: ambiguous backend: Service mcp/mcp-x-remote-proxy could be MCPRemoteProxy mcp/x and MCPServer mcp/x-remote']);
  });
});

describe('each rule is its own endpoint', () => {
  it('two rules splitting differently: each rule\'s URL belongs to its own first backend', () => {
    const result = planValid(world(stable, canary, route({ rules: [
      prefixStripped('/github', split(ref('mcp-github-proxy', 90), ref('mcp-github-canary-proxy', 10))),
      prefixStripped('/canary', split(ref('mcp-github-canary-proxy', 100), ref('mcp-github-proxy', 0))),
    ] })));
    expect(result.entries.map((entry) => [entry.name, entry.version, entry.remotes.map((remote) => remote.url)])).toEqual([
      ['com.toolhive.k8s.mcp/github', 'v1.4.0', ['https://mcp.example.com/github/mcp']],
      ['com.toolhive.k8s.mcp/github-canary', 'v1.5.0-rc.1', ['https://mcp.example.com/canary/mcp']],
    ]);
    expect(warningsOf(result)).toEqual([
      SPLIT_WARNING,
      'HTTPRoute mcp/github: rule 2 has backendRefs to MCPServer mcp/github-canary and MCPServer mcp/github: one rule is one endpoint, published for MCPServer mcp/github-canary (the first of them, whatever the weights); MCPServer mcp/github gets no remote through this rule',
    ]);
    expect(result.pending.map((p) => p.name)).toEqual(['com.toolhive.k8s.mcp/github-canary']);
  });

  it('a later rule of the first backend gives it no second URL when an earlier rule already reaches it', () => {
    const result = planValid(world(stable, canary, route({ rules: [
      split(ref('mcp-github-proxy', 50), ref('mcp-github-canary-proxy', 50)),
      prefixStripped('/canary', split(ref('mcp-github-canary-proxy'))),
    ] })));
    expect(result.entries.map((entry) => [entry.name, entry.remotes.map((remote) => remote.url)])).toEqual([
      ['com.toolhive.k8s.mcp/github', ['https://mcp.example.com/mcp']],
      ['com.toolhive.k8s.mcp/github-canary', ['https://mcp.example.com/canary/mcp']],
    ]);
    expect(warningsOf(result)).toEqual([SPLIT_WARNING]);
  });

  it('a path warning names the rule by its place in the route, not among the rules of its backend', () => {
    const headersOnly: HTTPRouteRule = { backendRefs: [ref('mcp-github-proxy')], matches: [{ path: { type: 'PathPrefix', value: '/mcp' }, headers: [{ name: 'x-canary', value: '1' }] }, { path: { type: 'PathPrefix', value: '/' } }] };
    const result = planValid(world(stable, canary, route({ rules: [prefixStripped('/canary', split(ref('mcp-github-canary-proxy'))), headersOnly] })));
    expect(urlsOf(result)).toEqual(['https://mcp.example.com/mcp', 'https://mcp.example.com/canary/mcp']);
    expect(warningsOf(result)).toEqual(['HTTPRoute mcp/github: rule 2 match 1 (PathPrefix /mcp) reaches /mcp but also requires headers, which a registry client would not send; passed over']);
  });

  it('two rules to two resources under the route\'s registry-name: the first rule\'s resource wins, and the warning says why', () => {
    const zeta = mcpServer('mcp', 'zeta', { annotations: annotations({ 'registry-description': 'Zeta' }) });
    const alpha = mcpServer('mcp', 'alpha', { annotations: annotations({ 'registry-description': 'Alpha' }) });
    const result = planValid(world(zeta, alpha, route({ annotations: annotations({ 'registry-export': 'true', 'registry-name': 'tools' }), rules: [
      prefixStripped('/zeta', split(ref('mcp-zeta-proxy'))),
      prefixStripped('/alpha', split(ref('mcp-alpha-proxy'))),
    ] })));
    expect(result.entries.map((entry) => [entry.name, entry.description])).toEqual([['com.toolhive.k8s.mcp/tools', 'Zeta']]);
    expect(warningsOf(result)).toEqual([
      'MCPServer mcp/alpha: registry-description "Alpha" disagrees with MCPServer mcp/zeta\'s "Zeta" for entry com.toolhive.k8s.mcp/tools; the first wins (direct exports in namespace/name order, then the MCP resources behind routes, routes in namespace/name order and rules in order)',
    ]);
  });
});

describe('the annotation contract agrees', () => {
  const judge = (object: KubeObject, others: KubeObject[]) => {
    const lookups = new ObjectIndex([object, ...others]);
    const judgement = judgeObject(object, { lookups, exports: buildExportIndex(lookups, DEFAULT_CONTRACT_OPTIONS), options: DEFAULT_CONTRACT_OPTIONS });
    return { errors: judgement.errors.map((f) => f.message), warnings: judgement.warnings.map((f) => f.message) };
  };

  it('a route without a description behind which the first resource has one: no warning, whatever the canary has', () => {
    const undescribed = mcpServer('mcp', 'github-canary', { annotations: {} });
    for (const weights of [[90, 10], [0, 100]] as const) {
      const candidate = route({ rules: [split(ref('mcp-github-proxy', weights[0]), ref('mcp-github-canary-proxy', weights[1]))] });
      expect(judge(candidate, [stable, undescribed]).warnings.filter((w) => w.includes('registry-description'))).toEqual([]);
    }
  });

  it('a name is not claimed for the canary\'s namespace through the split', () => {
    // mcp/wiki owns io.github.example/github in namespace mcp; the route's stable backend is
    // in mcp too, its canary in team-b: were the canary counted, the route would claim the
    // name for team-b as well and be denied.
    const owner = mcpServer('mcp', 'wiki', { annotations: annotations({ 'registry-export': 'true', 'registry-name': 'io.github.example/github', 'registry-url': 'https://wiki.example.com/mcp', 'registry-description': 'Wiki' }) });
    const teamBCanary = mcpServer('team-b', 'github-canary');
    const named = annotations({ 'registry-export': 'true', 'registry-name': 'io.github.example/github', 'registry-description': 'Split' });
    const claims = (weights: readonly [number, number]) => {
      const candidate = route({ annotations: named, rules: [split(ref('mcp-github-proxy', weights[0]), ref('mcp-github-canary-proxy', weights[1], { namespace: 'team-b' }))] });
      return judge(candidate, [stable, teamBCanary, owner]).errors.filter((e) => e.includes('belongs to namespace'));
    };
    expect(claims([90, 10])).toEqual([]);
    expect(claims([0, 100])).toEqual([]);
  });
});
