// The annotation contract on MCPServerEntry (annotations.md, "Objects in scope"): judged
// with the MCP-side keys like the MCP resources, its registry name claimed like any other
// export (check 4), its description only its own (check 5), and warnings about the
// spec.remoteUrl it publishes when registry-url does not override it.

import { describe, expect, it } from 'vitest';
import { ObjectIndex } from '../../../src/cluster/object-index.ts';
import { isInScope, judgeAnnotations, judgeObject } from '../../../src/contract/judge.ts';
import { buildExportIndex, registryNamesClaimedBy } from '../../../src/contract/name-claims.ts';
import { DEFAULT_CONTRACT_OPTIONS, type ContractOptions } from '../../../src/contract/types.ts';
import type { HTTPRoute, KubeObject } from '../../../src/kubernetes/objects.ts';

const P = 'toolhive.stacklok.dev/';
const EXPORTED = { [`${P}registry-export`]: 'true', [`${P}registry-description`]: 'DeepWiki' };

function entry(namespace: string, name: string, annotations: Record<string, string> = EXPORTED, spec: unknown = { remoteUrl: 'https://mcp.deepwiki.com/mcp', transport: 'streamable-http', groupRef: { name: 'g' } }, apiVersion = 'toolhive.stacklok.dev/v1beta1'): KubeObject {
  return { apiVersion, kind: 'MCPServerEntry', metadata: { name, namespace, annotations }, spec };
}

function judge(object: KubeObject, others: KubeObject[] = [], options: ContractOptions = DEFAULT_CONTRACT_OPTIONS) {
  const lookups = new ObjectIndex([object, ...others]);
  const judgement = judgeObject(object, { lookups, exports: buildExportIndex(lookups, options), options });
  return { errors: judgement.errors.map((f) => f.message), warnings: judgement.warnings.map((f) => f.message) };
}

describe('scope', () => {
  it.each([
    ['toolhive.stacklok.dev/v1beta1', true],
    ['toolhive.stacklok.dev/v1alpha1', true],
    ['example.com/v1', false],
    [undefined, false],
  ])('MCPServerEntry of %s is in scope: %s', (apiVersion, inScope) => {
    const object = { ...entry('mcp', 'x', { [`${P}registry-tier`]: 'Gold' }), apiVersion };
    expect(isInScope(object)).toBe(inScope);
    expect(judgeAnnotations(object, DEFAULT_CONTRACT_OPTIONS).applies).toBe(inScope);
  });
});

describe('keys on an MCPServerEntry', () => {
  it.each<[string, string, string[]]>([
    ['registry-url', 'https://wiki.company.com/mcp', []],
    ['registry-url', 'http://localhost:8080/mcp', ['warning', 'warning']], // http, and a loopback host
    ['tools', '["ask_question"]', []],
    ['tool-definitions', '[{"name":"ask_question"}]', []],
    ['authz-claims', '{"groups":["dev"]}', []],
    ['registry-version', 'v2.1.0', []],
    ['registry-transport', 'sse', ['error']],
    ['registry-tier', 'Gold', ['error']],
  ])('%s: %s', (key, value, findings) => {
    const judgement = judgeAnnotations(entry('mcp', 'x', { [P + key]: value }), DEFAULT_CONTRACT_OPTIONS);
    expect([...judgement.errors.map(() => 'error'), ...judgement.warnings.map(() => 'warning')]).toEqual(findings);
  });
});

describe('check 4: the registry name of an MCPServerEntry', () => {
  it('claims <prefix>/<name> in its namespace, or its registry-name', () => {
    const lookups = new ObjectIndex([]);
    expect(registryNamesClaimedBy(entry('mcp', 'deepwiki'), EXPORTED, lookups, DEFAULT_CONTRACT_OPTIONS)).toEqual([
      { kind: 'MCPServerEntry', namespace: 'mcp', name: 'deepwiki', owningNamespace: 'mcp', registryName: 'com.toolhive.k8s.mcp/deepwiki' },
    ]);
    const named = { ...EXPORTED, [`${P}registry-name`]: 'io.github.example/wiki' };
    expect(registryNamesClaimedBy(entry('mcp', 'deepwiki', named), named, lookups, DEFAULT_CONTRACT_OPTIONS)[0]?.registryName).toBe('io.github.example/wiki');
    expect(registryNamesClaimedBy(entry('mcp', 'deepwiki', { [`${P}registry-description`]: 'x' }), { [`${P}registry-description`]: 'x' }, lookups, DEFAULT_CONTRACT_OPTIONS)).toEqual([]);
  });

  it('the export index holds MCPServerEntry claims', () => {
    const index = buildExportIndex(new ObjectIndex([entry('mcp', 'deepwiki'), entry('mcp', 'quiet', { [`${P}registry-description`]: 'x' })]), DEFAULT_CONTRACT_OPTIONS);
    expect(index.claimsOf('com.toolhive.k8s.mcp/deepwiki')).toEqual([{ kind: 'MCPServerEntry', namespace: 'mcp', name: 'deepwiki', owningNamespace: 'mcp' }]);
    expect(index.claimsOf('com.toolhive.k8s.mcp/quiet')).toEqual([]);
  });

  const named = (name: string) => ({ ...EXPORTED, [`${P}registry-name`]: name });
  const server = (namespace: string, annotations: Record<string, string>): KubeObject => ({ apiVersion: 'toolhive.stacklok.dev/v1beta1', kind: 'MCPServer', metadata: { name: 'wiki', namespace, annotations: { ...annotations, [`${P}registry-url`]: 'https://x.example.com/mcp' } } });
  const routeOnly = (namespace: string, name: string): HTTPRoute => ({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'wiki', namespace, annotations: named(name) },
    spec: { rules: [{ backendRefs: [{ name: 'external', port: 443 }] }] },
  });

  it.each<[string, KubeObject, KubeObject, string | null]>([
    ['an MCPServer of another namespace under the same name', entry('team-a', 'wiki', named('io.github.example/wiki')), server('team-b', named('io.github.example/wiki')), 'registry name io.github.example/wiki belongs to namespace team-b (claimed by MCPServer team-b/wiki); namespace team-a may not publish under it'],
    ['an MCPServer of the same namespace under the same name', entry('team-a', 'wiki', named('io.github.example/wiki')), server('team-a', named('io.github.example/wiki')), null],
    ['an MCPServerEntry of another namespace', entry('team-a', 'wiki', named('io.github.example/wiki')), entry('team-b', 'other', named('io.github.example/wiki')), 'registry name io.github.example/wiki belongs to namespace team-b (claimed by MCPServerEntry team-b/other); namespace team-a may not publish under it'],
    ['a route-only export of another namespace', entry('team-a', 'wiki', named('io.github.example/wiki')), routeOnly('team-b', 'io.github.example/wiki'), 'registry name io.github.example/wiki belongs to namespace team-b (claimed by HTTPRoute team-b/wiki); namespace team-a may not publish under it'],
    ['the entry\'s default name claimed from elsewhere', entry('team-a', 'wiki'), server('team-b', named('com.toolhive.k8s.team-a/wiki')), 'registry name com.toolhive.k8s.team-a/wiki belongs to namespace team-b (claimed by MCPServer team-b/wiki); namespace team-a may not publish under it'],
  ])('%s', (_, subject, other, error) => {
    const { errors } = judge(subject, [other]);
    expect(errors).toEqual(error ? [`MCPServerEntry ${subject.metadata!.namespace}/${subject.metadata!.name}: ${error}`] : []);
    // And the other way round: the entry's claim counts against the other object.
    expect(judge(other, [subject]).errors.length).toBe(error ? 1 : 0);
  });

  it('--referential-checks=warn makes the conflict a warning', () => {
    const { errors, warnings } = judge(entry('team-a', 'wiki', named('io.github.example/wiki')), [server('team-b', named('io.github.example/wiki'))], { ...DEFAULT_CONTRACT_OPTIONS, referentialChecks: 'warn' });
    expect(errors).toEqual([]);
    expect(warnings).toHaveLength(1);
  });
});

describe('check 5 and the published URL', () => {
  const DESCRIPTION_WARNING = 'MCPServerEntry mcp/deepwiki: has no registry-description (an MCPServerEntry gets none from a route); the publisher skips entries without one';

  it('without a description: a warning, whatever routes there are', () => {
    expect(judge(entry('mcp', 'deepwiki', { [`${P}registry-export`]: 'true' })).warnings).toEqual([DESCRIPTION_WARNING]);
  });

  it.each<[string, Record<string, string>, unknown, string[]]>([
    ['an https spec.remoteUrl', EXPORTED, { remoteUrl: 'https://mcp.deepwiki.com/mcp', transport: 'sse' }, []],
    ['an http spec.remoteUrl', EXPORTED, { remoteUrl: 'http://wiki.internal/mcp' }, ['spec.remoteUrl "http://wiki.internal/mcp" uses http; the upstream MCP registry accepts only https remotes']],
    ['a loopback spec.remoteUrl', EXPORTED, { remoteUrl: 'https://127.0.0.1:8443/mcp' }, ['spec.remoteUrl "https://127.0.0.1:8443/mcp" points at a loopback host; the upstream MCP registry rejects it']],
    ['no spec.remoteUrl', EXPORTED, {}, ['has neither registry-url nor spec.remoteUrl, so there is no URL to publish; the publisher skips it']],
    ['spec: null', EXPORTED, null, ['has neither registry-url nor spec.remoteUrl, so there is no URL to publish; the publisher skips it']],
    ['a spec.remoteUrl with user information', EXPORTED, { remoteUrl: 'https://u:p@wiki.example.com/mcp' }, ['spec.remoteUrl "https://u:p@wiki.example.com/mcp" must not carry user information; set registry-url to the URL clients should use; the publisher skips it']],
    ['a spec.remoteUrl that is a number', EXPORTED, { remoteUrl: 5 }, ['spec.remoteUrl is not a string (it is number), so there is no URL to publish; the publisher skips it']],
    ['registry-url overrides a bad spec.remoteUrl', { ...EXPORTED, [`${P}registry-url`]: 'https://wiki.company.com/mcp' }, { remoteUrl: 'http://localhost/mcp' }, []],
    ['not exported: no checks at all', { [`${P}registry-description`]: 'x' }, { remoteUrl: 'http://localhost/mcp' }, []],
  ])('%s', (_, annotations, spec, warnings) => {
    expect(judge(entry('mcp', 'deepwiki', annotations, spec))).toEqual({ errors: [], warnings: warnings.map((warning) => `MCPServerEntry mcp/deepwiki: ${warning}`) });
  });
});
