// Every per-key rule of the annotation contract with allow, deny and normalization cases.

import { describe, expect, it } from 'vitest';
import { judgeAnnotations } from '../../../src/contract/judge.ts';
import { DEFAULT_CONTRACT_OPTIONS } from '../../../src/contract/types.ts';
import type { KubeObject } from '../../../src/kubernetes/objects.ts';

const P = 'toolhive.stacklok.dev/';

function route(annotations: Record<string, string>): KubeObject {
  return { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'github', namespace: 'mcp', annotations } };
}
function server(annotations: Record<string, string>): KubeObject {
  return { apiVersion: 'toolhive.stacklok.dev/v1alpha1', kind: 'MCPServer', metadata: { name: 'github', namespace: 'mcp', annotations } };
}

/** Judge one annotation alone; returns [errors, warnings, normalized value]. */
function judgeKey(make: (a: Record<string, string>) => KubeObject, key: string, value: string) {
  const judgement = judgeAnnotations(make({ [P + key]: value }), DEFAULT_CONTRACT_OPTIONS);
  return {
    errors: judgement.errors.map((f) => f.message),
    warnings: judgement.warnings.map((f) => f.message),
    value: judgement.annotations[P + key],
  };
}

type Row = [key: string, input: string, expected: string | RegExp];
// [key, value, normalized value] — allowed without warnings.
const allowed: Row[] = [
  ['registry-export', 'true', 'true'],
  ['registry-export', ' FALSE ', 'false'],
  ['registry-export', 'True', 'true'],
  ['registry-name', 'github', 'github'],
  ['registry-name', ' io.github.acme/github-mcp ', 'io.github.acme/github-mcp'],
  ['registry-name', 'com.example/a.b_c-d', 'com.example/a.b_c-d'],
  ['registry-description', '  GitHub MCP server  ', 'GitHub MCP server'],
  ['registry-description', 'x'.repeat(100), 'x'.repeat(100)],
  ['registry-description', 'Ünïcödé ✓ server', 'Ünïcödé ✓ server'],
  ['registry-title', 'GitHub', 'GitHub'],
  ['registry-tier', 'official', 'Official'],
  ['registry-tier', ' COMMUNITY ', 'Community'],
  ['registry-tier', 'Partner', 'Partner'],
  ['registry-tools', 'create_pr, merge_pr,,create_pr , list-issues', 'create_pr,merge_pr,list-issues'],
  ['registry-tools', 'A', 'A'],
  ['registry-tags', 'GitHub, vcs,, github ,prod_1', 'github,vcs,prod_1'],
  ['registry-category', ' DevTools ', 'devtools'],
  ['registry-icon', ' https://example.com/icon.png ', 'https://example.com/icon.png'],
  ['registry-version', '1.2.3', '1.2.3'],
  ['registry-version', 'v1.2.3', 'v1.2.3'],
  ['registry-version', '1.0.0-rc.1', '1.0.0-rc.1'],
  ['registry-version', '0.0.0-alpha-1.x', '0.0.0-alpha-1.x'],
  ['registry-transport', ' SSE ', 'sse'],
  ['registry-transport', 'streamable-http', 'streamable-http'],
];

// [key, value, part of the error]
const denied: Row[] = [
  ['registry-export', 'yes', 'must be "true" or "false"'],
  ['registry-export', '', 'must be "true" or "false"'],
  ['registry-name', 'a', 'at least 2 characters'],
  ['registry-name', 'x/y/z', 'exactly one "/"'],
  ['registry-name', 'io.github/-bad', 'name part "-bad"'],
  ['registry-name', '-io/github', 'namespace part "-io"'],
  ['registry-name', 'io.github_x/name', 'namespace part'],
  ['registry-name', `io.github/${'n'.repeat(200)}`, 'at most 200'],
  ['registry-name', 'n'.repeat(190), /expands to .* at most 200/],
  ['registry-name', '', 'must not be empty'],
  ['registry-description', '   ', 'must not be empty'],
  ['registry-description', 'x'.repeat(101), 'at most 100'],
  ['registry-description', 'line\u0007bell', 'control characters'],
  ['registry-title', 'tab\tinside', 'control characters'],
  ['registry-tier', 'Gold', 'is not one of Official, Community, Partner'],
  ['registry-tools', 'create pr', 'does not match ^[A-Za-z0-9_-]{1,128}$'],
  ['registry-tools', ' , ,', 'lists no tools'],
  ['registry-tools', Array.from({ length: 257 }, (_, i) => `t${i}`).join(','), 'at most 256'],
  ['registry-tools', 'a'.repeat(129), 'does not match'],
  ['registry-tags', 'a', 'does not match'],
  ['registry-tags', 'ok,-bad,bad-', 'do not match'],
  ['registry-tags', 'x'.repeat(65), 'does not match'],
  ['registry-tags', Array.from({ length: 65 }, (_, i) => `t${i}`).join(','), 'at most 64'],
  ['registry-category', 'dev tools', 'must match'],
  ['registry-category', 'x', '2 to 64'],
  ['registry-icon', 'http://example.com/i.png', 'absolute https URL'],
  ['registry-icon', 'icon.png', 'absolute https URL'],
  ['registry-icon', `https://example.com/${'i'.repeat(240)}`, 'at most 255'],
  ['registry-version', 'latest', '"latest" is not allowed'],
  ['registry-version', '^1.2.0', 'version range'],
  ['registry-version', '>=1.0.0', 'version range'],
  ['registry-version', '1.x', 'version range'],
  ['registry-version', '1.2', 'version range'],
  ['registry-version', '1.2.3+build.5', 'build metadata'],
  ['registry-version', '01.2.3', 'not a semantic version'],
  ['registry-version', '1.2.3-01', 'not a semantic version'],
  ['registry-transport', 'stdio', 'is not one of streamable-http, sse'],
];

describe('per-key rules on an HTTPRoute', () => {
  it.each(allowed)('%s %j is allowed and normalizes to %j', (key, input, expected) => {
    const result = judgeKey(route, key, input);
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(result.value).toBe(expected);
  });

  it.each(denied)('%s %j is denied (%s)', (key, input, expected) => {
    const result = judgeKey(route, key, input);
    expect(result.errors).toHaveLength(1);
    if (typeof expected === 'string') expect(result.errors[0]).toContain(expected);
    else expect(result.errors[0]).toMatch(expected);
    expect(result.errors[0]).toContain(`HTTPRoute mcp/github: annotation ${P}${key}: `);
  });
});

describe('registry-url (MCP kinds only)', () => {
  it.each([
    ['https://mcp.example.com/github/mcp', []],
    [' https://mcp.example.com:8443/x ', []],
    ['http://mcp.example.com/mcp', ['uses http']],
    ['https://localhost:8080/mcp', ['loopback']],
    ['https://api.localhost/mcp', ['loopback']],
    ['http://127.0.0.5/mcp', ['uses http', 'loopback']],
    ['https://[::1]:8080/mcp', ['loopback']],
  ] as [string, string[]][])('%j is allowed with warnings %j', (value, warnings) => {
    const result = judgeKey(server, 'registry-url', value);
    expect(result.errors).toEqual([]);
    expect(result.warnings).toHaveLength(warnings.length);
    warnings.forEach((w, i) => expect(result.warnings[i]).toContain(w));
    expect(result.value).toBe(value.trim());
  });

  it.each([
    ['mcp.example.com/mcp', 'not an absolute URL'],
    ['ftp://mcp.example.com/mcp', 'scheme ftp'],
    ['https://user:pw@mcp.example.com/mcp', 'user information'],
    ['https://mcp.example.com/mcp#frag', 'fragment'],
    [`https://mcp.example.com/${'p'.repeat(2048)}`, 'at most 2048'],
  ])('%j is denied (%s)', (value, rule) => {
    const result = judgeKey(server, 'registry-url', value);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toContain(rule);
  });
});

describe('JSON annotations (MCP kinds only)', () => {
  it.each([
    ['tools', '["create_pr","merge_pr"]'],
    ['tools', '[]'],
    ['tool-definitions', '[{"name":"create_pr","description":"x"}]'],
    ['authz-claims', '{"groups":["admins","devs"],"org":"acme"}'],
  ])('%s %s is allowed and left as written', (key, value) => {
    const result = judgeKey(server, key, value);
    expect(result.errors).toEqual([]);
    expect(result.value).toBe(value);
  });

  it.each([
    ['tools', 'create_pr', 'JSON array'],
    ['tools', '["a", 1]', 'array of strings'],
    ['tools', '["a","a"]', 'twice'],
    ['tools', '["bad tool"]', 'does not match'],
    ['tool-definitions', '{"name":"x"}', 'JSON array'],
    ['tool-definitions', '[{"name":""}]', 'item 0'],
    ['tool-definitions', '[{"name":"a"},"b"]', 'item 1'],
    ['authz-claims', '["a"]', 'JSON object'],
    ['authz-claims', '{"groups":[1]}', 'claim "groups"'],
    ['authz-claims', '{bad json', 'JSON object'],
  ])('%s %s is denied (%s)', (key, value, rule) => {
    const result = judgeKey(server, key, value);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toContain(rule);
  });
});
