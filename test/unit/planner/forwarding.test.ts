// Rules that do not forward (discovery.md section 2): a rule with a RequestRedirect filter
// answers with a 3xx, a rule without a backendRef of weight other than 0 sends nothing
// anywhere; neither gives a remote or a path, for MCP resources and route-only exports
// alike, and a route with no forwarding rule is skipped. The shapes are Gateway API's
// conformance routes (httproute-redirect-scheme) and the common HTTP-to-HTTPS redirect.
// Last, the annotation contract agrees: proxy bypass and name claims ignore such rules.

import { describe, expect, it } from 'vitest';
import { ObjectIndex } from '../../../src/cluster/object-index.ts';
import { judgeObject } from '../../../src/contract/judge.ts';
import { buildExportIndex } from '../../../src/contract/name-claims.ts';
import { DEFAULT_CONTRACT_OPTIONS } from '../../../src/contract/types.ts';
import { backendRefForwards, ruleForwards } from '../../../src/gateway-api/forwarding.ts';
import type { BackendRef, HTTPRoute, HTTPRouteRule, KubeObject } from '../../../src/kubernetes/objects.ts';
import {
  annotations,
  backendTo,
  gateway,
  gatewayClass,
  http,
  https,
  mcpServer,
  planValid,
  PUBLIC,
  route,
  skipsOf,
  urlsOf,
  warningsOf,
  world,
} from './fixtures.ts';

// The filter as the conformance tests write it. (Built outside the rule literals: the
// planner's HTTPRouteFilter type only spells out the fields it reads.)
const REDIRECT = { type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } };
const REDIRECT_SCHEME_ONLY = { type: 'RequestRedirect', requestRedirect: { scheme: 'https' } };
const prefix = (value: string) => ({ path: { type: 'PathPrefix', value } });
const stripPrefix = { filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } }] };

/** The common "HTTP to HTTPS redirect" rule: no matches, no backendRefs. */
const httpsRedirect: HTTPRouteRule = { filters: [REDIRECT] };
/** httproute-redirect-scheme: a PathPrefix match and a scheme redirect. */
const conformanceRedirect: HTTPRouteRule = { matches: [prefix('/scheme-nil-and-status-nil')], filters: [REDIRECT_SCHEME_ONLY] };
const REDIRECTING_BACKEND = { name: 'mcp-github-proxy', port: 8080, filters: [REDIRECT] };

describe('which rules forward', () => {
  it.each<[string, HTTPRouteRule, boolean]>([
    ['a backendRef, default weight', backendTo('mcp-github-proxy'), true],
    ['a backendRef of weight 1', { backendRefs: [{ name: 'a', weight: 1 }] }, true],
    ['weight 0 next to weight 1', { backendRefs: [{ name: 'a', weight: 0 }, { name: 'b', weight: 1 }] }, true],
    ['a backendRef of another kind still forwards', { backendRefs: [{ group: 'example.com', kind: 'Backend', name: 'a' }] }, true],
    ['URLRewrite and header filters do not redirect', backendTo('a', { filters: [{ type: 'URLRewrite', urlRewrite: { hostname: 'x' } }, { type: 'RequestHeaderModifier' }] }), true],
    ['no backendRefs', { matches: [prefix('/')] }, false],
    ['empty backendRefs', { backendRefs: [] }, false],
    ['the only backendRef has weight 0', { backendRefs: [{ name: 'a', weight: 0 }] }, false],
    ['HTTP to HTTPS redirect', httpsRedirect, false],
    ['httproute-redirect-scheme', conformanceRedirect, false],
    ['backendRefs and a RequestRedirect filter', backendTo('a', { filters: [REDIRECT] }), false],
    ['the only backendRef redirects itself', { backendRefs: [REDIRECTING_BACKEND] }, false],
  ])('%s: %s', (_, rule, forwards) => {
    expect(ruleForwards(rule)).toBe(forwards);
  });

  it('a backendRef forwards unless its weight is 0 or it redirects', () => {
    expect(backendRefForwards({ name: 'a' })).toBe(true);
    expect(backendRefForwards({ name: 'a', weight: 0 })).toBe(false);
    expect(backendRefForwards(REDIRECTING_BACKEND as BackendRef)).toBe(false);
  });
});

interface Case {
  name: string;
  objects: KubeObject[];
  urls: string[];
  /** The exact skip lines. */
  skips?: string[];
  /** Each must occur in exactly one warning; no other warnings. */
  warnings?: string[];
}

const server = mcpServer('mcp', 'github');
const NO_FORWARD = 'HTTPRoute mcp/github: no rule of route github forwards to a backend';

function run(testCase: Case): void {
  const result = planValid(testCase.objects);
  expect(urlsOf(result)).toEqual(testCase.urls);
  expect(skipsOf(result)).toEqual(testCase.skips ?? []);
  const warnings = warningsOf(result);
  for (const warning of testCase.warnings ?? []) expect(warnings.filter((line) => line.includes(warning)), `${warning} in ${JSON.stringify(warnings)}`).toHaveLength(1);
  expect(warnings).toHaveLength(testCase.warnings?.length ?? 0);
}

const mcpCases: Case[] = [
  { name: 'a redirect-only route (HTTP to HTTPS) is skipped', objects: world(server, route({ rules: [httpsRedirect] })), urls: [], skips: [NO_FORWARD] },
  { name: 'httproute-redirect-scheme is skipped', objects: world(server, route({ rules: [conformanceRedirect] })), urls: [], skips: [NO_FORWARD] },
  {
    name: 'a redirect rule before a forwarding rule: the forwarding rule\'s path is published',
    objects: world(server, route({ rules: [{ matches: [prefix('/')], filters: [REDIRECT] }, backendTo('mcp-github-proxy', { matches: [prefix('/github')], ...stripPrefix })] })),
    urls: ['https://mcp.example.com/github/mcp'],
  },
  {
    name: 'backendRefs and a RequestRedirect filter (invalid in Gateway API) do not forward',
    objects: world(server, route({ rules: [backendTo('mcp-github-proxy', { filters: [REDIRECT] })] })),
    urls: [],
    skips: [NO_FORWARD],
  },
  {
    name: 'a redirecting rule with backendRefs before a forwarding rule: its match is never used',
    objects: world(server, route({ rules: [
      backendTo('mcp-github-proxy', { matches: [prefix('/mcp')], filters: [REDIRECT] }),
      backendTo('mcp-github-proxy', { matches: [prefix('/github')], ...stripPrefix }),
    ] })),
    urls: ['https://mcp.example.com/github/mcp'],
  },
  {
    name: 'a redirecting rule to another MCP resource gives it no remote',
    objects: world(server, mcpServer('mcp', 'other'), route({ rules: [
      backendTo('mcp-other-proxy', { matches: [prefix('/other')], filters: [REDIRECT] }),
      backendTo('mcp-github-proxy', { matches: [prefix('/github')], ...stripPrefix }),
    ] })),
    urls: ['https://mcp.example.com/github/mcp'],
  },
  {
    name: 'the only backendRef has weight 0',
    objects: world(server, route({ rules: [{ backendRefs: [{ name: 'mcp-github-proxy', port: 8080, weight: 0 }] }] })),
    urls: [],
    skips: [NO_FORWARD],
  },
  {
    name: 'a weight-0 rule before a forwarding rule: its match is never used',
    objects: world(server, route({ rules: [
      { matches: [prefix('/mcp')], backendRefs: [{ name: 'mcp-github-proxy', port: 8080, weight: 0 }] },
      backendTo('mcp-github-proxy', { matches: [prefix('/github')], ...stripPrefix }),
    ] })),
    urls: ['https://mcp.example.com/github/mcp'],
  },
  {
    name: 'weight 0 next to a weighted backendRef still forwards',
    objects: world(server, route({ rules: [{ backendRefs: [{ name: 'mcp-github-proxy', port: 8080, weight: 0 }, { name: 'mcp-github-proxy', port: 8080, weight: 10 }] }] })),
    urls: ['https://mcp.example.com/mcp'],
  },
  {
    name: 'the only backendRef redirects (HTTPBackendRef filters)',
    objects: world(server, route({ rules: [{ backendRefs: [REDIRECTING_BACKEND] }] })),
    urls: [],
    skips: [NO_FORWARD],
  },
  {
    name: 'a redirect route on the http listener beside a forwarding route on https',
    objects: [
      gatewayClass(),
      gateway({ listeners: [http(), https()] }),
      server,
      route({ name: 'github-redirect', parentRefs: [{ ...PUBLIC, sectionName: 'http' }], rules: [httpsRedirect] }),
      route({ parentRefs: [{ ...PUBLIC, sectionName: 'https' }] }),
    ],
    urls: ['https://mcp.example.com/mcp'],
    skips: ['HTTPRoute mcp/github-redirect: no rule of route github-redirect forwards to a backend'],
  },
  {
    name: 'order: not forwarding comes before the parents (a Gateway that has not accepted the route)',
    objects: world(server, route({ rules: [httpsRedirect], statusParents: [] })),
    urls: [],
    skips: [NO_FORWARD],
  },
  {
    name: 'order: contract errors come first',
    objects: world(server, route({ rules: [httpsRedirect], annotations: annotations({ 'registry-export': 'true', 'registry-transport': 'carrier-pigeon' }) })),
    urls: [],
    skips: [expect.stringMatching(/^HTTPRoute mcp\/github: .*registry-transport/) as unknown as string],
  },
];

describe('MCP resources behind rules that do not forward', () => {
  it.each(mcpCases.map((c) => [c.name, c] as const))('%s', (_, testCase) => run(testCase));
});

const DOCS_NO_FORWARD = 'HTTPRoute mcp/docs: no rule of route docs forwards to a backend';
const docs = (rules: HTTPRouteRule[], extra: Record<string, string> = {}) =>
  route({ name: 'docs', annotations: annotations({ 'registry-export': 'true', 'registry-name': 'docs', 'registry-description': 'Docs search', ...extra }), rules });

const routeOnlyCases: Case[] = [
  { name: 'the only rule redirects: skipped', objects: world(docs([httpsRedirect])), urls: [], skips: [DOCS_NO_FORWARD] },
  { name: 'httproute-redirect-scheme: skipped', objects: world(docs([conformanceRedirect])), urls: [], skips: [DOCS_NO_FORWARD] },
  { name: 'one forwarding rule: published', objects: world(docs([backendTo('docs-search', { matches: [prefix('/docs/mcp')] })])), urls: ['https://mcp.example.com/docs/mcp'] },
  {
    name: 'a redirect rule before the forwarding rule: the redirect\'s match is never used',
    objects: world(docs([{ matches: [prefix('/')], filters: [REDIRECT] }, backendTo('docs-search', { matches: [prefix('/docs/mcp')] })])),
    urls: ['https://mcp.example.com/docs/mcp'],
  },
  {
    name: 'backendRefs and a RequestRedirect filter before the forwarding rule',
    objects: world(docs([backendTo('docs-search', { matches: [prefix('/old')], filters: [REDIRECT] }), backendTo('docs-search', { matches: [prefix('/docs/mcp')] })])),
    urls: ['https://mcp.example.com/docs/mcp'],
  },
  { name: 'a rule without backendRefs: skipped', objects: world(docs([{ matches: [prefix('/docs/mcp')] }])), urls: [], skips: [DOCS_NO_FORWARD] },
  { name: 'the only backendRef has weight 0: skipped', objects: world(docs([{ matches: [prefix('/docs/mcp')], backendRefs: [{ name: 'docs-search', weight: 0 }] }])), urls: [], skips: [DOCS_NO_FORWARD] },
  {
    name: 'rule labels keep their place in the route when a redirect rule comes first',
    objects: world(docs([
      httpsRedirect,
      backendTo('docs-search', { matches: [{ ...prefix('/canary'), headers: [{ name: 'x-canary', value: '1' }] }] }),
      backendTo('docs-search', { matches: [prefix('/docs/mcp')] }),
    ])),
    urls: ['https://mcp.example.com/docs/mcp'],
    warnings: ['HTTPRoute mcp/docs: rule 2 match 1 (PathPrefix /canary) also requires headers'],
  },
  {
    name: 'without registry-name, a redirect-only route is skipped for not forwarding (not as an unknown backend)',
    objects: world(route({ name: 'docs', annotations: annotations({ 'registry-export': 'true', 'registry-description': 'Docs' }), rules: [httpsRedirect] })),
    urls: [],
    skips: [DOCS_NO_FORWARD],
  },
];

describe('route-only exports with rules that do not forward', () => {
  it.each(routeOnlyCases.map((c) => [c.name, c] as const))('%s', (_, testCase) => run(testCase));
});

describe('the annotation contract ignores rules that do not forward', () => {
  const contractRoute = (namespace: string, rules: HTTPRouteRule[], extra: Record<string, string> = {}): HTTPRoute => ({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'remote', namespace, annotations: annotations({ 'registry-export': 'true', 'registry-description': 'Remote', ...extra }) },
    spec: { parentRefs: [], rules },
  });
  const judge = (object: KubeObject, others: KubeObject[]) => {
    const lookups = new ObjectIndex([object, ...others]);
    const judgement = judgeObject(object, { lookups, exports: buildExportIndex(lookups, DEFAULT_CONTRACT_OPTIONS), options: DEFAULT_CONTRACT_OPTIONS });
    return { errors: judgement.errors.map((f) => f.message), warnings: judgement.warnings.map((f) => f.message) };
  };
  const github = mcpServer('team-a', 'github');

  it.each<[string, HTTPRouteRule, boolean]>([
    ['a forwarding rule to mcp-github', backendTo('mcp-github'), true],
    ['a redirecting rule to mcp-github', backendTo('mcp-github', { filters: [REDIRECT] }), false],
    ['a weight-0 backendRef to mcp-github', { backendRefs: [{ name: 'mcp-github', weight: 0 }] }, false],
  ])('proxy bypass: %s warns: %s', (_, rule, warns) => {
    const { warnings } = judge(contractRoute('team-a', [rule]), [github]);
    expect(warnings.some((w) => w.includes('bypassing ToolHive\'s proxy'))).toBe(warns);
  });

  it.each<[string, HTTPRouteRule, boolean]>([
    ['forwards', backendTo('external'), true],
    ['only redirects', httpsRedirect, false],
  ])('a route-only export in team-a that %s claims its name: %s', (_, rule, claims) => {
    const name = { 'registry-name': 'io.example/remote' };
    const theirs = contractRoute('team-a', [rule], name);
    const mine = contractRoute('team-b', [backendTo('external')], name);
    const { errors } = judge(mine, [theirs]);
    expect(errors.some((e) => e.includes('registry name io.example/remote belongs to namespace team-a'))).toBe(claims);
  });
});
