// `mcp-registry-export plan` end to end (cli.md): the real entry point in a child process,
// with files, directories, repeated -f, stdin, kind: List, both outputs, the flavor and
// name prefix, names not ready to publish (pending), and the exit codes (0 even when
// everything is skipped, 2 for bad input).

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { entryProblems, officialSchemaProblems } from '../../../src/planner/entry-schema.ts';
import type { PlanResult } from '../../../src/planner/result.ts';
import { annotations, gatewayClass, gateway, http, https, mcpServer, route } from './fixtures.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'plan-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(args: string[], input?: string) {
  const result = spawnSync(process.execPath, ['src/cli/main.ts', 'plan', ...args], { cwd: repoRoot, input, encoding: 'utf8', timeout: 20_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function json(stdout: string): PlanResult {
  return JSON.parse(stdout) as PlanResult;
}

function yamlDocs(...objects: unknown[]): string {
  return objects.map((object) => stringify(object)).join('---\n');
}

function write(path: string, text: string): string {
  const full = join(work, path);
  mkdirSync(join(full, '..'), { recursive: true });
  writeFileSync(full, text);
  return full;
}

const cluster = yamlDocs(gatewayClass(), gateway({ listeners: [http(), https()] }));
const github = yamlDocs(mcpServer('mcp', 'github', { annotations: annotations({ 'registry-description': 'GitHub', 'registry-title': 'GitHub' }) }), route());
const docs = yamlDocs(route({ name: 'docs', annotations: annotations({ 'registry-export': 'true' }), rules: [{ backendRefs: [{ name: 'plain', port: 80 }] }] }));

describe('plan', () => {
  const dir = join(work, 'manifests');
  write('manifests/cluster.yaml', cluster);
  write('manifests/apps/github.yml', github);
  write('manifests/apps/docs.json', JSON.stringify(route({ name: 'docs', annotations: annotations({ 'registry-export': 'true' }), rules: [{ backendRefs: [{ name: 'plain', port: 80 }] }] })));
  write('manifests/notes.txt', 'not a manifest: ignored');

  it('reads a directory recursively and prints one JSON document', () => {
    const { code, stdout, stderr } = run(['-f', dir, '--output', 'json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const result = json(stdout);
    expect(result.entries.map((e) => [e.name, e.remotes.map((r) => r.url)])).toEqual([
      ['com.toolhive.k8s.mcp/github', ['http://mcp.example.com/mcp', 'https://mcp.example.com/mcp']],
    ]);
    for (const entry of result.entries) {
      expect(officialSchemaProblems(entry)).toEqual([]);
      expect(entryProblems(entry, 'toolhive')).toEqual([]);
    }
    expect(result.skipped).toEqual([{ kind: 'HTTPRoute', namespace: 'mcp', name: 'docs', reason: expect.stringContaining('backend is not a known MCP resource') }]);
    expect(result.warnings).toEqual([]);
    expect(result.pending).toEqual([]);
  });

  it('takes repeated -f files, and --flavor upstream', () => {
    const { code, stdout } = run(['-f', write('a.yaml', cluster), '-f', write('b.yaml', github), '-o', 'json', '--flavor', 'upstream']);
    expect(code).toBe(0);
    const result = json(stdout);
    expect(result.entries.map((e) => e.remotes.map((r) => r.url))).toEqual([['https://mcp.example.com/mcp']]);
    expect(result.warnings).toEqual([expect.objectContaining({ kind: 'HTTPRoute', name: 'github', message: expect.stringContaining('left out for the upstream registry') })]);
  });

  it('reads stdin, a kind: List, --namespace for objects without one and --name-prefix', () => {
    const server = mcpServer('mcp', 'github');
    const tools = route({ namespace: 'tools' });
    delete server.metadata!.namespace;
    delete tools.metadata!.namespace;
    const list = stringify({ apiVersion: 'v1', kind: 'List', items: [gatewayClass(), gateway(), server, tools] });
    const { code, stdout } = run(['-f', '-', '-o', 'json', '--namespace', 'tools', '--name-prefix', 'io.github.acme.{namespace}'], list);
    expect(code).toBe(0);
    expect(json(stdout).entries.map((e) => e.name)).toEqual(['io.github.acme.tools/github']);
  });

  it('prints text by default', () => {
    const { code, stdout } = run(['-f', dir]);
    expect(code).toBe(0);
    expect(stdout).toBe([
      'ENTRY   com.toolhive.k8s.mcp/github 1.0.0',
      '  description: GitHub',
      '  title: GitHub',
      '  remote: streamable-http http://mcp.example.com/mcp',
      '  remote: streamable-http https://mcp.example.com/mcp',
      'SKIPPED HTTPRoute mcp/docs: backend is not a known MCP resource (to export a remote MCP server that ToolHive does not manage, set registry-name and registry-description)',
      '1 entry, 0 pending, 1 skipped, 0 warning(s)',
      '',
    ].join('\n'));
  });

  describe('names not ready to publish (publishing.md §4)', () => {
    const notReady = yamlDocs(
      gatewayClass(),
      gateway(),
      mcpServer('mcp', 'github', { phase: 'Failed', annotations: annotations({ 'registry-description': 'GitHub' }) }),
      route(),
      mcpServer('mcp', 'jira', { phase: null, annotations: annotations({ 'registry-export': 'true', 'registry-url': 'https://jira.example.com/mcp', 'registry-description': 'Jira' }) }),
    );

    it('are listed under pending in JSON, and still planned; exit 0', () => {
      const { code, stdout, stderr } = run(['-f', '-', '-o', 'json'], notReady);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      const result = json(stdout);
      expect(Object.keys(result)).toEqual(['entries', 'skipped', 'warnings', 'pending']);
      expect(result.entries.map((e) => e.name)).toEqual(['com.toolhive.k8s.mcp/github', 'com.toolhive.k8s.mcp/jira']);
      expect(result.pending).toEqual([{ name: 'com.toolhive.k8s.mcp/github', objects: [{ kind: 'MCPServer', namespace: 'mcp', name: 'github' }], reason: 'MCPServer mcp/github is Failed' }]);
      expect(result.warnings).toEqual([{ kind: 'MCPServer', namespace: 'mcp', name: 'jira', message: 'has no status.phase yet (no operator has reported); counted as ready' }]);
    });

    it('have their own section in text', () => {
      const { code, stdout } = run(['-f', '-'], notReady);
      expect(code).toBe(0);
      expect(stdout).toBe([
        'ENTRY   com.toolhive.k8s.mcp/github 1.0.0',
        '  description: GitHub',
        '  remote: streamable-http https://mcp.example.com/mcp',
        'ENTRY   com.toolhive.k8s.mcp/jira 1.0.0',
        '  description: Jira',
        '  remote: streamable-http https://jira.example.com/mcp',
        'PENDING com.toolhive.k8s.mcp/github: MCPServer mcp/github is Failed',
        'WARNING MCPServer mcp/jira: has no status.phase yet (no operator has reported); counted as ready',
        '2 entries, 1 pending, 0 skipped, 1 warning(s)',
        '',
      ].join('\n'));
    });
  });

  it('exits 0 when everything is skipped', () => {
    const { code, stdout } = run(['-f', '-', '-o', 'json'], docs);
    expect(code).toBe(0);
    expect(json(stdout).entries).toEqual([]);
    expect(json(stdout).skipped).toHaveLength(1);
  });

  it('exits 0 on input without objects (an empty stdin is an error, below)', () => {
    const { code, stdout } = run(['-f', '-', '-o', 'json'], '# nothing to plan\n---\n');
    expect(code).toBe(0);
    expect(json(stdout)).toEqual({ entries: [], skipped: [], warnings: [], pending: [] });
  });

  it.each<[string, string[], string | undefined, RegExp]>([
    ['no -f', [], undefined, /plan needs at least one -f PATH/],
    ['an unknown flavor', ['-f', '-', '--flavor', 'official'], '', /flavor/],
    ['an unknown output', ['-f', '-', '--output', 'yaml'], '', /output/],
    ['a missing file', ['-f', join(work, 'nope.yaml')], undefined, /nope\.yaml: cannot read: ENOENT/],
    ['unparsable YAML, with the file and line', ['-f', write('bad.yaml', 'kind: Service\n---\nmetadata: {name: [unclosed\n')], undefined, /bad\.yaml:[34](:\d+)?: cannot parse/],
    ['a document that is not an object', ['-f', '-'], '- just\n- a list\n', /<stdin>:1: a document is not a Kubernetes object/],
    ['an empty stdin (the command before the pipe failed?)', ['-f', '-'], '', /^error: <stdin>: empty: nothing was read from standard input\n$/],
  ])('exits 2 for %s', (_, args, input, message) => {
    const { code, stderr, stdout } = run(args, input);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stdout).toBe('');
  });
});

describe('plan -f examples/', () => {
  it('publishes the github MCPServer\'s tools as its MCPToolConfig shows them to clients (renamed, then filtered)', () => {
    const { code, stdout, stderr } = run(['-f', join(repoRoot, 'examples'), '-o', 'json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const result = json(stdout);
    const github = result.entries.find((entry) => entry.name === 'com.toolhive.k8s.mcp-servers/github');
    const extension = github!._meta['io.modelcontextprotocol.registry/publisher-provided']['io.github.stacklok']['https://mcp.company.com/github/mcp'];
    expect(extension!.tools).toEqual(['create_pull_request', 'merge_pull_request']);
    expect(result.warnings.filter((warning) => warning.message.includes('toolConfigRef'))).toEqual([]);
  });
});
