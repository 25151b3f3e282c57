// The webhook's answers for MCPServerEntry, judged like the other MCP kinds: /mutate
// normalizes its registry annotations, /validate allows, warns and denies with the same
// rules, and the registry-name check counts its claim like any other export.

import { readFileSync } from 'node:fs';
import jsonpatch from 'fast-json-patch';
import { describe, expect, it } from 'vitest';
import { admitForMutation, admitForValidation, parseAdmissionReview, type AdmissionRequest } from '../../../src/admission/review.ts';
import { EMPTY_CLUSTER } from '../../../src/cluster/lookups.ts';
import { ObjectIndex } from '../../../src/cluster/object-index.ts';
import { buildExportIndex } from '../../../src/contract/name-claims.ts';
import { DEFAULT_CONTRACT_OPTIONS, type ContractContext } from '../../../src/contract/types.ts';
import type { KubeObject } from '../../../src/kubernetes/objects.ts';

const P = 'toolhive.stacklok.dev/';
const context: ContractContext = { lookups: EMPTY_CLUSTER, options: DEFAULT_CONTRACT_OPTIONS };

function requestOf(name: string): AdmissionRequest {
  const parsed = parseAdmissionReview(JSON.parse(readFileSync(new URL(`../../fixtures/admission/${name}`, import.meta.url), 'utf8')));
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.request;
}

function entryRequest(annotations: Record<string, string>, spec: Record<string, unknown> = { remoteUrl: 'https://mcp.deepwiki.com/mcp', transport: 'sse', groupRef: { name: 'g' } }, apiVersion = 'toolhive.stacklok.dev/v1beta1'): AdmissionRequest {
  const base = requestOf('mcpserverentry-create-unnormalized.json');
  return { ...base, object: { apiVersion, kind: 'MCPServerEntry', metadata: { name: 'deepwiki', namespace: 'tools', annotations }, spec } };
}

const decode = (patch: string | undefined): jsonpatch.Operation[] => (patch === undefined ? [] : JSON.parse(Buffer.from(patch, 'base64').toString('utf8')));

describe('/mutate on an MCPServerEntry', () => {
  it('patches the normalized annotations; the patched object needs no second patch and is allowed', () => {
    const request = requestOf('mcpserverentry-create-unnormalized.json');
    const outcome = admitForMutation(request, context);
    expect(outcome.verdict).toBe('patched');
    const patch = decode(outcome.review.response.patch);
    expect(patch).toEqual([
      { op: 'replace', path: '/metadata/annotations/toolhive.stacklok.dev~1registry-export', value: 'true' },
      { op: 'replace', path: '/metadata/annotations/toolhive.stacklok.dev~1registry-tier', value: 'Community' },
      { op: 'replace', path: '/metadata/annotations/toolhive.stacklok.dev~1registry-tags', value: 'docs,wiki' },
      { op: 'replace', path: '/metadata/annotations/toolhive.stacklok.dev~1registry-description', value: 'Answers questions about public GitHub repositories' },
    ]);
    const patched = jsonpatch.applyPatch(structuredClone(request.object!), patch, true, false).newDocument;
    expect(admitForMutation({ ...request, object: patched }, context).verdict).toBe('allowed');
    const validated = admitForValidation({ ...request, object: patched }, context);
    expect(validated.verdict).toBe('allowed');
    expect(validated.review.response.warnings).toBeUndefined();
  });
});

describe('/validate on an MCPServerEntry', () => {
  const described = { [`${P}registry-export`]: 'true', [`${P}registry-description`]: 'DeepWiki' };

  it.each<[string, Record<string, string>, Record<string, unknown> | undefined, 'allowed' | 'denied', string[]]>([
    ['exported, described, an https spec.remoteUrl', described, undefined, 'allowed', []],
    ['registry-url overrides spec.remoteUrl (no remark about the spec)', { ...described, [`${P}registry-url`]: 'https://deepwiki.company.com/mcp' }, { remoteUrl: 'http://10.0.0.1/mcp', transport: 'sse' }, 'allowed', []],
    ['a bad tier is denied', { ...described, [`${P}registry-tier`]: 'Gold' }, undefined, 'denied', [`MCPServerEntry tools/deepwiki: annotation ${P}registry-tier: "Gold" is not one of Official, Community, Partner`]],
    ['registry-transport is for HTTPRoutes only', { ...described, [`${P}registry-transport`]: 'sse' }, undefined, 'denied', [`MCPServerEntry tools/deepwiki: annotation ${P}registry-transport: "sse" is only for HTTPRoutes: an MCP resource's transport comes from its spec`]],
    ['tools, tool-definitions and authz-claims are MCP-side keys', { ...described, [`${P}tools`]: '["ask"]', [`${P}tool-definitions`]: '[{"name":"ask"}]', [`${P}authz-claims`]: '{"groups":["dev"]}' }, undefined, 'allowed', []],
    ['a typo gets a hint', { ...described, [`${P}registry-titel`]: 'x' }, undefined, 'denied', [`MCPServerEntry tools/deepwiki: annotation ${P}registry-titel: "x" is not a known registry annotation; did you mean registry-title?`]],
    ['a bad registry-url is denied', { ...described, [`${P}registry-url`]: 'ftp://x' }, undefined, 'denied', [`MCPServerEntry tools/deepwiki: annotation ${P}registry-url: "ftp://x" has scheme ftp, only https and http are allowed`]],
  ])('%s', (_, annotations, spec, verdict, errors) => {
    const outcome = admitForValidation(entryRequest(annotations, spec), context);
    expect(outcome.verdict).toBe(verdict);
    expect(outcome.review.response.status?.message.split('\n') ?? []).toEqual(errors);
  });

  it('the deprecated v1alpha1 is judged alike', () => {
    const outcome = admitForValidation(entryRequest({ ...described, [`${P}registry-tier`]: 'Gold' }, undefined, 'toolhive.stacklok.dev/v1alpha1'), context);
    expect(outcome.verdict).toBe('denied');
  });

  it('warns about an http spec.remoteUrl and a missing description', () => {
    const outcome = admitForValidation(entryRequest({ [`${P}registry-export`]: 'true' }, { remoteUrl: 'http://wiki.internal/mcp', transport: 'sse' }), context);
    expect(outcome.verdict).toBe('allowed');
    expect(outcome.review.response.warnings).toEqual([
      'spec.remoteUrl "http://wiki.internal/mcp" uses http; the upstream MCP registry accepts only https remotes',
      'has no registry-description (an MCPServerEntry gets none from a route); the publisher skips entries without one',
    ]);
  });

  it('an entry not exported gets no checks against other objects', () => {
    const outcome = admitForValidation(entryRequest({ [`${P}registry-tier`]: 'Official' }, { remoteUrl: 'http://localhost/mcp' }), context);
    expect(outcome).toMatchObject({ verdict: 'allowed' });
    expect(outcome.review.response.warnings).toBeUndefined();
  });

  it('a registry name held by an export of another namespace is denied, and an entry\'s claim blocks others', () => {
    const server: KubeObject = {
      apiVersion: 'toolhive.stacklok.dev/v1beta1',
      kind: 'MCPServer',
      metadata: { name: 'deepwiki', namespace: 'other', annotations: { [`${P}registry-export`]: 'true', [`${P}registry-name`]: 'com.toolhive.k8s.tools/deepwiki', [`${P}registry-url`]: 'https://x.example.com/mcp', [`${P}registry-description`]: 'x' } },
    };
    const request = entryRequest(described);
    const lookups = new ObjectIndex([server, request.object!]);
    const withExports: ContractContext = { lookups, exports: buildExportIndex(lookups, DEFAULT_CONTRACT_OPTIONS), options: DEFAULT_CONTRACT_OPTIONS };
    // The MCPServer in `other` claims the name `tools` owns by default: the entry is denied as well, as `validate` denies every object involved.
    const denied = admitForValidation(request, withExports);
    expect(denied.verdict).toBe('denied');
    expect(denied.review.response.status?.message).toBe(
      'MCPServerEntry tools/deepwiki: registry name com.toolhive.k8s.tools/deepwiki belongs to namespace other (claimed by MCPServer other/deepwiki); namespace tools may not publish under it',
    );
    const serverRequest: AdmissionRequest = { ...request, name: 'deepwiki', namespace: 'other', object: server };
    const serverDenied = admitForValidation(serverRequest, withExports);
    expect(serverDenied.verdict).toBe('denied');
    expect(serverDenied.review.response.status?.message).toBe(
      `MCPServer other/deepwiki: registry name com.toolhive.k8s.tools/deepwiki belongs to namespace tools (claimed by MCPServerEntry tools/deepwiki); namespace other may not publish under it`,
    );
  });
});
