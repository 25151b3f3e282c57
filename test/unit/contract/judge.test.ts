// Object-level behaviour of the contract: scope, unknown keys, keys on the wrong kind,
// size limits, message format, all errors reported together.

import { describe, expect, it } from 'vitest';
import { judgeAnnotations } from '../../../src/contract/judge.ts';
import { DEFAULT_CONTRACT_OPTIONS } from '../../../src/contract/types.ts';
import type { KubeObject } from '../../../src/kubernetes/objects.ts';

const P = 'toolhive.stacklok.dev/';
const options = DEFAULT_CONTRACT_OPTIONS;

function object(apiVersion: string, kind: string, annotations: Record<string, string>, namespace?: string): KubeObject {
  return { apiVersion, kind, metadata: { name: 'github', ...(namespace ? { namespace } : {}), annotations } };
}

describe('scope', () => {
  it.each([
    ['gateway.networking.k8s.io/v1', 'HTTPRoute'],
    ['gateway.networking.k8s.io/v1beta1', 'HTTPRoute'],
    ['toolhive.stacklok.dev/v1alpha1', 'MCPServer'],
    ['toolhive.stacklok.dev/v1beta1', 'MCPRemoteProxy'],
    ['toolhive.stacklok.dev/v1beta1', 'VirtualMCPServer'],
    ['toolhive.stacklok.dev/v1beta1', 'MCPServerEntry'],
    ['toolhive.stacklok.dev/v1alpha1', 'MCPServerEntry'],
  ])('%s %s with a registry annotation is judged', (apiVersion, kind) => {
    expect(judgeAnnotations(object(apiVersion, kind, { [`${P}registry-tier`]: 'Gold' }), options).applies).toBe(true);
  });

  it.each([
    ['v1', 'Service'],
    ['networking.k8s.io/v1', 'Ingress'],
    ['example.com/v1', 'HTTPRoute'],
    ['gateway.networking.k8s.io/v1', 'GRPCRoute'],
  ])('%s %s is out of scope: allowed untouched', (apiVersion, kind) => {
    const judgement = judgeAnnotations(object(apiVersion, kind, { [`${P}registry-tier`]: 'Gold' }), options);
    expect(judgement).toMatchObject({ applies: false, errors: [], warnings: [], normalized: {} });
  });

  it('an object without registry annotations is not judged, even with other ToolHive annotations', () => {
    const judgement = judgeAnnotations(
      object('gateway.networking.k8s.io/v1', 'HTTPRoute', { [`${P}something-else`]: ' x ', 'example.com/registry-tier': 'Gold' }),
      options,
    );
    expect(judgement.applies).toBe(false);
  });

  it.each(['tools', 'tool-definitions', 'authz-claims'])('%s alone makes an MCP resource registry-annotated', (key) => {
    const judgement = judgeAnnotations(object('toolhive.stacklok.dev/v1alpha1', 'MCPServer', { [P + key]: 'not json' }), options);
    expect(judgement.applies).toBe(true);
    expect(judgement.errors).toHaveLength(1);
  });
});

describe('unknown and misplaced keys', () => {
  it.each([
    ['registry-teir', 'did you mean registry-tier?'],
    ['registry-descripton', 'did you mean registry-description?'],
    ['registry-tag', 'did you mean registry-tags?'],
    ['registry-exports', 'did you mean registry-export?'],
    ['registry-URL', 'did you mean registry-url?'],
  ])('%s is rejected with a hint (%s)', (key, hint) => {
    const judgement = judgeAnnotations(object('toolhive.stacklok.dev/v1alpha1', 'MCPServer', { [P + key]: 'x' }), options);
    expect(judgement.errors.map((e) => e.message)).toEqual([
      `MCPServer default/github: annotation ${P}${key}: "x" is not a known registry annotation; ${hint}`,
    ]);
  });

  it('a key far from any known key gets no hint', () => {
    const judgement = judgeAnnotations(object('toolhive.stacklok.dev/v1alpha1', 'MCPServer', { [`${P}registry-something-unrelated`]: 'x' }), options);
    expect(judgement.errors[0]?.message).toMatch(/is not a known registry annotation$/);
  });

  it.each([
    ['gateway.networking.k8s.io/v1', 'HTTPRoute', 'registry-url', 'https://x.example.com', 'derived from its parent Gateway'],
    ['gateway.networking.k8s.io/v1', 'HTTPRoute', 'tools', '["a"]', 'only for MCP resources'],
    ['gateway.networking.k8s.io/v1', 'HTTPRoute', 'authz-claims', '{}', 'only for MCP resources'],
    ['toolhive.stacklok.dev/v1alpha1', 'MCPServer', 'registry-transport', 'sse', 'only for HTTPRoutes'],
  ])('%s %s: %s is valid only on the other kind', (apiVersion, kind, key, value, rule) => {
    const judgement = judgeAnnotations(object(apiVersion, kind, { [P + key]: value }), options);
    expect(judgement.errors).toHaveLength(1);
    expect(judgement.errors[0]!.message).toContain(rule);
    expect(judgement.errors[0]!.annotation).toBe(P + key);
  });

  it('a value over 8192 bytes is rejected, the value cut to 64 characters', () => {
    const value = 'é'.repeat(4097); // 8194 bytes
    const judgement = judgeAnnotations(object('toolhive.stacklok.dev/v1alpha1', 'MCPServer', { [`${P}registry-description`]: value }), options);
    expect(judgement.errors).toHaveLength(1);
    expect(judgement.errors[0]!.message).toBe(
      `MCPServer default/github: annotation ${P}registry-description: "${'é'.repeat(64)}…" is 8194 bytes long, at most 8192 are allowed`,
    );
  });
});

describe('messages', () => {
  it('names object, key, value and rule, one line, and reports every error together', () => {
    const judgement = judgeAnnotations(
      object('gateway.networking.k8s.io/v1', 'HTTPRoute', {
        [`${P}registry-tier`]: 'Gold',
        [`${P}registry-tags`]: 'ok,a',
        [`${P}registry-version`]: 'latest',
        [`${P}registry-description`]: 'evil\nnewline',
      }, 'mcp'),
      options,
    );
    expect(judgement.errors.map((e) => e.message)).toEqual([
      'HTTPRoute mcp/github: annotation toolhive.stacklok.dev/registry-tier: "Gold" is not one of Official, Community, Partner',
      'HTTPRoute mcp/github: annotation toolhive.stacklok.dev/registry-tags: "ok,a" tag "a" does not match ^[a-z0-9][a-z0-9_-]*[a-z0-9]$ (2 to 64 characters)',
      'HTTPRoute mcp/github: annotation toolhive.stacklok.dev/registry-version: "latest" "latest" is not allowed: publish a fixed version MAJOR.MINOR.PATCH',
      'HTTPRoute mcp/github: annotation toolhive.stacklok.dev/registry-description: "evil\\nnewline" must not contain control characters',
    ]);
    for (const error of judgement.errors) expect(error.message).not.toContain('\n');
  });

  it('reports only changed values as normalized and keeps the others', () => {
    const judgement = judgeAnnotations(
      object('toolhive.stacklok.dev/v1alpha1', 'MCPServer', {
        [`${P}registry-export`]: 'true',
        [`${P}registry-tier`]: 'official',
        'app.kubernetes.io/name': ' untouched ',
      }),
      options,
    );
    expect(judgement.normalized).toEqual({ [`${P}registry-tier`]: 'Official' });
    expect(judgement.annotations).toEqual({
      [`${P}registry-export`]: 'true',
      [`${P}registry-tier`]: 'Official',
      'app.kubernetes.io/name': ' untouched ',
    });
  });

  it('judges bare registry names with the name prefix template and the object namespace', () => {
    const long = 'n'.repeat(185);
    const ok = judgeAnnotations(object('toolhive.stacklok.dev/v1alpha1', 'MCPServer', { [`${P}registry-name`]: long }, 'ns'), {
      ...options,
      namePrefix: 'x.{namespace}',
    });
    expect(ok.errors).toEqual([]);
    const tooLong = judgeAnnotations(object('toolhive.stacklok.dev/v1alpha1', 'MCPServer', { [`${P}registry-name`]: long }, 'ns'), options);
    expect(tooLong.errors[0]?.message).toContain('expands to "com.toolhive.k8s.ns/');
  });
});
