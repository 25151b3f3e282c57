// `mcp-registry-export validate` end to end: files, directories, multi-document YAML,
// kind: List, stdin, JSON output shape and exit codes (cli.md).

import { describe, expect, it } from 'vitest';
import { FIXTURES, runCli } from './run-cli.ts';

const P = 'toolhive.stacklok.dev/';

describe('validate', () => {
  it('allows good manifests from a directory (YAML, multi-document, JSON List) with exit 0', async () => {
    const result = await runCli(['validate', '-f', `${FIXTURES}good`, '--output', 'json']);
    expect(result.code).toBe(0);
    const { results } = JSON.parse(result.stdout);
    expect(results.map((r: { kind: string; name: string }) => `${r.kind}/${r.name}`)).toEqual([
      'MCPServer/github', // gateway.yaml sorts first but holds no registry-annotated object
      'HTTPRoute/github',
      'MCPRemoteProxy/notion',
    ]);
    const route = results[1];
    expect(route).toEqual({
      kind: 'HTTPRoute',
      apiVersion: 'gateway.networking.k8s.io/v1',
      namespace: 'mcp-servers',
      name: 'github',
      allowed: true,
      errors: [],
      warnings: [],
      normalized: { [`${P}registry-export`]: 'true', [`${P}registry-tier`]: 'Official', [`${P}registry-tags`]: 'github,vcs' },
    });
  });

  it('denies with exit 1 and reports every error of the object', async () => {
    const result = await runCli(['validate', '-f', `${FIXTURES}good`, '-f', `${FIXTURES}bad/typos.yaml`, '-o', 'json']);
    expect(result.code).toBe(1);
    const denied = JSON.parse(result.stdout).results.find((r: { name: string }) => r.name === 'docs');
    expect(denied.allowed).toBe(false);
    expect(denied.errors.map((e: { annotation: string }) => e.annotation)).toEqual([
      `${P}registry-teir`,
      `${P}registry-url`,
      `${P}registry-version`,
    ]);
    expect(denied.errors[0].message).toContain('did you mean registry-tier?');
  });

  it('uses the other objects of the input for referential checks', async () => {
    // The route alone: its Gateway is unknown, a warning only.
    const alone = await runCli(['validate', '-f', `${FIXTURES}good/github.yaml`, '-o', 'json']);
    expect(alone.code).toBe(0);
    const route = JSON.parse(alone.stdout).results[1];
    expect(route.warnings).toEqual([
      { annotation: null, message: 'HTTPRoute mcp-servers/github: parentRef Gateway gateway-system/public: Gateway is not known (yet); attachment not checked' },
    ]);
    // With the Gateway but a Namespace whose labels the listener does not select: denied.
    const unlabelled = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: mcp-servers\n';
    const gateway = (await import('node:fs')).readFileSync(`${FIXTURES}good/gateway.yaml`, 'utf8').split('---')[1];
    const denied = await runCli(['validate', '-f', `${FIXTURES}good/github.yaml`, '-f', '-', '-o', 'json'], `${unlabelled}---${gateway}`);
    expect(denied.code).toBe(1);
    expect(JSON.parse(denied.stdout).results[1].errors[0].message).toContain('does not admit namespace mcp-servers (label selector)');
  });

  it('denies every object involved in a registry name conflict; warn mode allows them', async () => {
    const deny = await runCli(['validate', '-f', `${FIXTURES}conflict`, '-o', 'json']);
    expect(deny.code).toBe(1);
    expect(JSON.parse(deny.stdout).results.map((r: { allowed: boolean }) => r.allowed)).toEqual([false, false]);
    const warn = await runCli(['validate', '-f', `${FIXTURES}conflict`, '-o', 'json', '--referential-checks', 'warn']);
    expect(warn.code).toBe(0);
  });

  it('reads stdin, applies --namespace to objects without one, and honours --name-prefix', async () => {
    const manifest = `apiVersion: toolhive.stacklok.dev/v1alpha1
kind: MCPServer
metadata:
  name: x
  annotations:
    ${P}registry-name: ${'n'.repeat(180)}
`;
    const defaultPrefix = await runCli(['validate', '-f', '-', '-o', 'json', '-n', 'tools'], manifest);
    expect(defaultPrefix.code).toBe(1);
    const [result] = JSON.parse(defaultPrefix.stdout).results;
    expect(result.namespace).toBe('tools');
    expect(result.errors[0].message).toContain('expands to "com.toolhive.k8s.tools/nnn');
    const shortPrefix = await runCli(['validate', '-f', '-', '-o', 'json', '--name-prefix', 'k8s.{namespace}'], manifest);
    expect(shortPrefix.code).toBe(0);
  });

  it('judges MCPServerEntry like the other MCP kinds: normalization, errors, spec.remoteUrl warnings, name conflicts', async () => {
    const entry = (name: string, namespace: string, annotations: Record<string, string>, remoteUrl = 'https://mcp.deepwiki.com/mcp') => `apiVersion: toolhive.stacklok.dev/v1beta1
kind: MCPServerEntry
metadata:
  name: ${name}
  namespace: ${namespace}
  annotations:
${Object.entries(annotations).map(([key, value]) => `    ${P}${key}: ${JSON.stringify(value)}`).join('\n')}
spec:
  remoteUrl: ${remoteUrl}
  transport: streamable-http
  groupRef: { name: remote }
`;
    const good = await runCli(['validate', '-f', '-', '-o', 'json'], entry('deepwiki', 'tools', { 'registry-export': ' TRUE', 'registry-description': 'DeepWiki', 'registry-tier': 'community' }));
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout).results).toEqual([
      {
        kind: 'MCPServerEntry',
        apiVersion: 'toolhive.stacklok.dev/v1beta1',
        namespace: 'tools',
        name: 'deepwiki',
        allowed: true,
        errors: [],
        warnings: [],
        normalized: { [`${P}registry-export`]: 'true', [`${P}registry-tier`]: 'Community' },
      },
    ]);
    const plainHttp = await runCli(['validate', '-f', '-', '-o', 'json'], entry('deepwiki', 'tools', { 'registry-export': 'true', 'registry-description': 'DeepWiki' }, 'http://deepwiki.tools.svc/mcp'));
    expect(plainHttp.code).toBe(0);
    expect(JSON.parse(plainHttp.stdout).results[0].warnings).toEqual([
      { annotation: null, message: 'MCPServerEntry tools/deepwiki: spec.remoteUrl "http://deepwiki.tools.svc/mcp" uses http; the upstream MCP registry accepts only https remotes' },
    ]);
    const wrongKey = await runCli(['validate', '-f', '-', '-o', 'json'], entry('deepwiki', 'tools', { 'registry-export': 'true', 'registry-description': 'DeepWiki', 'registry-transport': 'sse' }));
    expect(wrongKey.code).toBe(1);
    // The same registry name from two namespaces: every object involved is denied.
    const name = { 'registry-export': 'true', 'registry-description': 'DeepWiki', 'registry-name': 'io.github.example/deepwiki' };
    const conflict = await runCli(['validate', '-f', '-', '-o', 'json'], `${entry('deepwiki', 'team-a', name)}---\n${entry('deepwiki', 'team-b', name)}`);
    expect(conflict.code).toBe(1);
    expect(JSON.parse(conflict.stdout).results.map((r: { errors: { message: string }[] }) => r.errors.map((e) => e.message))).toEqual([
      ['MCPServerEntry team-a/deepwiki: registry name io.github.example/deepwiki belongs to namespace team-b (claimed by MCPServerEntry team-b/deepwiki); namespace team-a may not publish under it'],
      ['MCPServerEntry team-b/deepwiki: registry name io.github.example/deepwiki belongs to namespace team-a (claimed by MCPServerEntry team-a/deepwiki); namespace team-b may not publish under it'],
    ]);
  });

  it('prints a readable text report by default', async () => {
    const result = await runCli(['validate', '-f', `${FIXTURES}bad`]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('DENIED  HTTPRoute mcp-servers/docs\n  error:   HTTPRoute mcp-servers/docs: annotation');
    expect(result.stdout).toMatch(/1 registry-annotated object\(s\): 0 allowed, 1 denied\n$/);
  });

  it('prints an empty result for input without registry-annotated objects', async () => {
    const result = await runCli(['validate', '-f', '-', '-o', 'json'], 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ results: [] });
  });

  it.each([
    [['validate'], 'at least one -f'],
    [['validate', '-f', 'x.yaml', '--output', 'xml'], "argument 'xml' is invalid"],
    [['validate', '-f', 'x.yaml', '--referential-checks', 'maybe'], 'is invalid'],
    [['validate', '--bogus'], "unknown option '--bogus'"],
    [['validate', '-f', '/nonexistent/path.yaml'], '/nonexistent/path.yaml: cannot read: ENOENT'],
  ])('usage and input errors exit 2: %j', async (args, message) => {
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stdout).toBe('');
  });

  it('names the file and line of unparsable YAML and exits 2', async () => {
    const result = await runCli(['validate', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\n---\nmetadata: {name: x]}\nkind: y\n');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: <stdin>:4(:\d+)?: cannot parse: /);
  });

  it('rejects a document that is not an object', async () => {
    const result = await runCli(['validate', '-f', '-'], '- just\n- a list\n');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('<stdin>:1: a document is not a Kubernetes object');
  });
});
