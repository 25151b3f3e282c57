// The path rules of discovery.md section 6, row by row with and without URLRewrite, then
// through the planner: the first match that reaches the endpoint, matches passed over for
// headers, query parameters or a method, unreachable endpoints, and the SSE prefix warning.

import { describe, expect, it } from 'vitest';
import type { HTTPRouteRule, HTTPURLRewriteFilter } from '../../../src/kubernetes/objects.ts';
import { isUnderPrefix, joinPaths, publicPathThrough } from '../../../src/planner/paths.ts';
import { annotations, backendTo, mcpServer, planValid, route, skipsOf, urlsOf, warningsOf, world } from './fixtures.ts';

type Rewrite = HTTPURLRewriteFilter['path'];
const prefixRewrite = (replacePrefixMatch: string): Rewrite => ({ type: 'ReplacePrefixMatch', replacePrefixMatch });
const fullRewrite = (replaceFullPath: string): Rewrite => ({ type: 'ReplaceFullPath', replaceFullPath });

describe('the public path through one match', () => {
  it.each<[string, string, Rewrite | undefined, string, string | undefined]>([
    // type, value, rewrite, E, expected P (undefined: unreachable)
    ['Exact', '/mcp', undefined, '/mcp', '/mcp'],
    ['Exact', '/github', undefined, '/mcp', undefined],
    ['Exact', '/github', fullRewrite('/mcp'), '/mcp', '/github'],
    ['Exact', '/github', fullRewrite('/sse'), '/mcp', undefined],
    ['Exact', '/github', prefixRewrite('/'), '/mcp', undefined],
    ['PathPrefix', '/', undefined, '/mcp', '/mcp'],
    ['PathPrefix', '/mcp', undefined, '/mcp', '/mcp'],
    ['PathPrefix', '/mcp/', undefined, '/mcp', '/mcp'],
    ['PathPrefix', '/v1', undefined, '/v1/mcp', '/v1/mcp'],
    ['PathPrefix', '/mc', undefined, '/mcp', undefined],
    ['PathPrefix', '/github', undefined, '/mcp', undefined],
    ['PathPrefix', '/github', prefixRewrite('/'), '/mcp', '/github/mcp'],
    ['PathPrefix', '/github/', prefixRewrite('/'), '/mcp', '/github/mcp'],
    ['PathPrefix', '/github', prefixRewrite('/mcp'), '/mcp', '/github'],
    ['PathPrefix', '/github', prefixRewrite('/v1'), '/v1/mcp', '/github/mcp'],
    ['PathPrefix', '/github', prefixRewrite('/other'), '/mcp', undefined],
    ['PathPrefix', '/', prefixRewrite('/'), '/mcp', '/mcp'],
    ['PathPrefix', '/', prefixRewrite('/mcp'), '/mcp', '/'],
    ['PathPrefix', '/github', fullRewrite('/mcp'), '/mcp', '/github'],
    ['PathPrefix', '/github', fullRewrite('/sse'), '/mcp', undefined],
    ['RegularExpression', '/m.*', undefined, '/mcp', undefined],
    ['RegularExpression', '/github/.*', fullRewrite('/mcp'), '/mcp', undefined],
  ])('%s %s with %j, endpoint %s -> %s', (type, value, rewrite, endpoint, expected) => {
    expect(publicPathThrough({ type, value }, rewrite, endpoint)).toBe(expected);
  });

  it.each([
    ['/github', '/mcp', '/github/mcp'],
    ['/', '/mcp', '/mcp'],
    ['/github/', '/mcp', '/github/mcp'],
    ['/github', '', '/github'],
    ['/', '/', '/'],
  ])('joins %s and %s as %s', (base, rest, joined) => {
    expect(joinPaths(base, rest)).toBe(joined);
  });

  it('compares prefixes segment by segment', () => {
    expect(isUnderPrefix('/mcp', '/mc')).toBe(false);
    expect(isUnderPrefix('/mcp/x', '/mcp')).toBe(true);
    expect(isUnderPrefix('/anything', '/')).toBe(true);
  });
});

const server = mcpServer('mcp', 'github');
const sseServer = (spec: Record<string, unknown> = {}) =>
  mcpServer('mcp', 'github', { spec: { image: 'ghcr.io/example/github-mcp', transport: 'sse', ...spec } });
const rewrite = (path: Rewrite) => ({ filters: [{ type: 'URLRewrite', urlRewrite: { path } }] });
const prefix = (value: string) => ({ path: { type: 'PathPrefix', value } });

interface Case {
  name: string;
  rules: HTTPRouteRule[];
  backend?: ReturnType<typeof mcpServer>;
  urls: string[];
  skips?: string[];
  warnings?: string[];
}

const cases: Case[] = [
  { name: 'a rule without matches is PathPrefix /', rules: [backendTo('mcp-github-proxy')], urls: ['https://mcp.example.com/mcp'] },
  { name: 'a match without path is PathPrefix /', rules: [backendTo('mcp-github-proxy', { matches: [{}] })], urls: ['https://mcp.example.com/mcp'] },
  { name: 'Exact on the endpoint', rules: [backendTo('mcp-github-proxy', { matches: [{ path: { type: 'Exact', value: '/mcp' } }] })], urls: ['https://mcp.example.com/mcp'] },
  {
    name: 'Exact with ReplaceFullPath',
    rules: [backendTo('mcp-github-proxy', { matches: [{ path: { type: 'Exact', value: '/github' } }], ...rewrite(fullRewrite('/mcp')) })],
    urls: ['https://mcp.example.com/github'],
  },
  {
    name: 'PathPrefix with ReplacePrefixMatch /',
    rules: [backendTo('mcp-github-proxy', { matches: [prefix('/github')], ...rewrite(prefixRewrite('/')) })],
    urls: ['https://mcp.example.com/github/mcp'],
  },
  {
    name: 'PathPrefix with ReplaceFullPath',
    rules: [backendTo('mcp-github-proxy', { matches: [prefix('/github')], ...rewrite(fullRewrite('/mcp')) })],
    urls: ['https://mcp.example.com/github'],
  },
  {
    name: 'a URLRewrite of the hostname only leaves the path alone',
    rules: [backendTo('mcp-github-proxy', { matches: [prefix('/mcp')], filters: [{ type: 'URLRewrite', urlRewrite: { hostname: 'internal' } }] })],
    urls: ['https://mcp.example.com/mcp'],
  },
  {
    name: 'the first reachable match wins, rules in order, matches in order',
    rules: [
      backendTo('mcp-github-proxy', { matches: [prefix('/docs'), prefix('/a')], ...rewrite(prefixRewrite('/')) }),
      backendTo('mcp-github-proxy', { matches: [prefix('/b')], ...rewrite(prefixRewrite('/')) }),
    ],
    urls: ['https://mcp.example.com/docs/mcp'],
  },
  {
    name: 'unreachable matches are passed over silently',
    rules: [backendTo('mcp-github-proxy', { matches: [prefix('/github'), prefix('/mcp')] })],
    urls: ['https://mcp.example.com/mcp'],
  },
  {
    name: 'a match that needs headers is passed over with a warning',
    rules: [
      backendTo('mcp-github-proxy', { matches: [{ ...prefix('/canary'), headers: [{ name: 'x-canary', value: '1' }] }], ...rewrite(prefixRewrite('/')) }),
      backendTo('mcp-github-proxy', { matches: [prefix('/github')], ...rewrite(prefixRewrite('/')) }),
    ],
    urls: ['https://mcp.example.com/github/mcp'],
    warnings: ['rule 1 match 1 (PathPrefix /canary) reaches /mcp but also requires headers, which a registry client would not send; passed over'],
  },
  {
    name: 'query parameters and a method are passed over too',
    rules: [
      backendTo('mcp-github-proxy', { name: 'special', matches: [{ queryParams: [{ name: 'a', value: 'b' }] }, { method: 'POST' }] }),
      backendTo('mcp-github-proxy', { matches: [prefix('/mcp')] }),
    ],
    urls: ['https://mcp.example.com/mcp'],
    warnings: ['rule special match 1 (PathPrefix /) reaches /mcp but also requires query parameters', 'rule special match 2 (PathPrefix /) reaches /mcp but also requires method POST'],
  },
  {
    name: 'no match reaches the endpoint',
    rules: [backendTo('mcp-github-proxy', { matches: [prefix('/github')] })],
    urls: [],
    skips: ['route github cannot reach the endpoint /mcp of MCPServer mcp/github'],
  },
  {
    name: 'only a regular expression match',
    rules: [backendTo('mcp-github-proxy', { matches: [{ path: { type: 'RegularExpression', value: '/.*' } }] })],
    urls: [],
    skips: ['cannot reach the endpoint /mcp'],
  },
  {
    name: 'only a header match reaches: skipped, with the warning',
    rules: [backendTo('mcp-github-proxy', { matches: [{ ...prefix('/mcp'), headers: [{ name: 'x', value: 'y' }] }] })],
    urls: [],
    skips: ['cannot reach the endpoint /mcp'],
    warnings: ['requires headers'],
  },
  {
    name: 'SSE behind a stripped prefix warns',
    backend: sseServer(),
    rules: [backendTo('mcp-github-proxy', { matches: [prefix('/github')], ...rewrite(prefixRewrite('/')) })],
    urls: ['https://mcp.example.com/github/sse'],
    warnings: ['rule 1 match 1 (PathPrefix /github) strips the prefix /github in front of an SSE endpoint; set spec.endpointPrefix to /github'],
  },
  {
    name: 'SSE behind a stripped prefix the server knows (endpointPrefix) does not warn',
    backend: sseServer({ endpointPrefix: '/github/' }),
    rules: [backendTo('mcp-github-proxy', { matches: [prefix('/github')], ...rewrite(prefixRewrite('/')) })],
    urls: ['https://mcp.example.com/github/sse'],
  },
  {
    name: 'SSE without a rewrite does not warn',
    backend: sseServer(),
    rules: [backendTo('mcp-github-proxy', { matches: [prefix('/sse')] })],
    urls: ['https://mcp.example.com/sse'],
  },
  {
    name: 'streamable-http behind a stripped prefix does not warn',
    rules: [backendTo('mcp-github-proxy', { matches: [prefix('/github')], ...rewrite(prefixRewrite('/')) })],
    urls: ['https://mcp.example.com/github/mcp'],
  },
];

describe('paths through the planner', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_, testCase) => {
    const result = planValid(world(testCase.backend ?? server, route({ rules: testCase.rules })));
    expect(urlsOf(result)).toEqual(testCase.urls);
    const skips = skipsOf(result);
    const warnings = warningsOf(result);
    for (const skip of testCase.skips ?? []) expect(skips.some((line) => line.includes(skip)), `${skip} in ${JSON.stringify(skips)}`).toBe(true);
    expect(skips).toHaveLength(testCase.skips?.length ?? 0);
    for (const warning of testCase.warnings ?? []) expect(warnings.some((line) => line.includes(warning)), `${warning} in ${JSON.stringify(warnings)}`).toBe(true);
    expect(warnings).toHaveLength(testCase.warnings?.length ?? 0);
  });
});

describe('route-only exports publish the match path itself', () => {
  const routeOnly = (rules: HTTPRouteRule[], extra: Record<string, string> = {}) =>
    route({
      name: 'docs',
      annotations: annotations({ 'registry-export': 'true', 'registry-name': 'docs', 'registry-description': 'Docs search', ...extra }),
      rules,
    });

  it.each<[string, HTTPRouteRule[], string[]]>([
    ['PathPrefix', [backendTo('docs-search', { matches: [prefix('/docs/mcp/')] })], ['https://mcp.example.com/docs/mcp']],
    ['Exact, as written', [backendTo('docs-search', { matches: [{ path: { type: 'Exact', value: '/docs/mcp' } }] })], ['https://mcp.example.com/docs/mcp']],
    ['no matches: the root', [backendTo('docs-search')], ['https://mcp.example.com/']],
    ['a regular expression first, then a prefix', [backendTo('docs-search', { matches: [{ path: { type: 'RegularExpression', value: '/x.*' } }, prefix('/y')] })], ['https://mcp.example.com/y']],
  ])('%s', (_, rules, urls) => {
    expect(urlsOf(planValid(world(routeOnly(rules))))).toEqual(urls);
  });

  it('skips a route-only export with nothing but regular expressions', () => {
    const result = planValid(world(routeOnly([backendTo('docs-search', { matches: [{ path: { type: 'RegularExpression', value: '/x.*' } }] })])));
    expect(skipsOf(result)).toEqual(['HTTPRoute mcp/docs: route docs has no Exact or PathPrefix match to publish']);
  });
});
