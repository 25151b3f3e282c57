// The vendored server.json schema is the official file, unchanged, and the validation built
// on it accepts the registry's own examples and refuses what the registry refuses.

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { entryProblems, officialSchemaProblems } from '../../../src/planner/entry-schema.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const reference = `${repoRoot}../shared/reference/mcp-registry/`;

describe('vendored server.schema.json', () => {
  it('is byte-identical to the shared reference copy', () => {
    const vendored = readFileSync(`${repoRoot}src/planner/schema/server.schema.json`);
    const official = readFileSync(`${reference}server.schema.json`);
    expect(vendored.equals(official)).toBe(true);
  });

  it('is emitted into dist with the same content when built (tsc re-indents JSON)', () => {
    const built = `${repoRoot}dist/planner/schema/server.schema.json`;
    if (!existsSync(built)) return; // `npm test` builds first; a bare vitest run may not have built
    expect(JSON.parse(readFileSync(built, 'utf8'))).toEqual(JSON.parse(readFileSync(`${reference}server.schema.json`, 'utf8')));
  });

  it.each(['example-remote.server.json', 'example-remote-and-package.server.json', 'example-remote-url-template.server.json'])(
    'accepts the registry example %s, also under the strict overlay',
    (file) => {
      const example = JSON.parse(readFileSync(`${reference}${file}`, 'utf8'));
      expect(officialSchemaProblems(example)).toEqual([]);
      expect(entryProblems(example, 'toolhive')).toEqual([]);
      expect(entryProblems(example, 'upstream')).toEqual([]);
    },
  );
});

const VALID = {
  $schema: 'https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json',
  name: 'com.toolhive.k8s.mcp/github',
  description: 'GitHub',
  version: '1.0.0',
  remotes: [{ type: 'streamable-http', url: 'https://mcp.example.com/mcp' }],
};

describe('strict overlay: what the official registry rejects beyond the schema', () => {
  it.each<[string, Record<string, unknown>, 'toolhive' | 'upstream', string]>([
    ['an unknown top-level property', { status: 'active' }, 'toolhive', 'must NOT have additional properties (status)'],
    ['an unknown remote property', { remotes: [{ type: 'sse', url: 'https://a.example.com/sse', transport: 'x' }] }, 'toolhive', 'must NOT have additional properties (transport)'],
    ['an unknown _meta key', { _meta: { tools: [] } }, 'toolhive', 'must NOT have additional properties (tools)'],
    ['a one-letter name part', { name: 'com.example/a' }, 'toolhive', 'name part "a"'],
    ['a name part ending in a dot', { name: 'com.example./github' }, 'toolhive', 'namespace part'],
    ['version latest', { version: 'latest' }, 'toolhive', 'not "latest" or a range'],
    ['a caret range', { version: '^1.2.3' }, 'toolhive', 'not "latest" or a range'],
    ['a wildcard range', { version: '1.x' }, 'toolhive', 'not "latest" or a range'],
    ['an OR range', { version: '1.2.3 || 2.0.0' }, 'toolhive', 'not "latest" or a range'],
    ['a hyphen range', { version: '1.2.3 - 2.0.0' }, 'toolhive', 'not "latest" or a range'],
    ['an empty version', { version: '' }, 'toolhive', 'must NOT have fewer than 1 characters'],
    ['another $schema', { $schema: 'https://static.modelcontextprotocol.io/schemas/2025-10-17/server.schema.json' }, 'toolhive', '/$schema must be equal to constant'],
    ['an http icon', { icons: [{ src: 'http://example.com/i.png' }] }, 'toolhive', '/icons/0/src must match pattern'],
    ['a blank title', { title: '  ' }, 'toolhive', '/title must match pattern'],
    ['an undeclared URL variable', { remotes: [{ type: 'sse', url: 'https://{tenant}.example.com/sse' }] }, 'toolhive', 'uses {tenant}'],
    ['an http remote (upstream)', { remotes: [{ type: 'sse', url: 'http://a.example.com/sse' }] }, 'upstream', 'must match pattern "^https://"'],
    ['a loopback remote (upstream)', { remotes: [{ type: 'sse', url: 'https://localhost/sse' }] }, 'upstream', 'loopback'],
    [
      'publisher-provided over 4096 bytes',
      { _meta: { 'io.modelcontextprotocol.registry/publisher-provided': { blob: 'x'.repeat(4100) } } },
      'toolhive',
      'bytes, at most 4096 are allowed',
    ],
    [
      'publisher-provided over 4096 bytes once Go escapes < > &',
      { _meta: { 'io.modelcontextprotocol.registry/publisher-provided': { blob: '<'.repeat(700) } } },
      'toolhive',
      'bytes, at most 4096 are allowed',
    ],
  ])('refuses %s', (_, change, flavor, problem) => {
    const problems = entryProblems({ ...VALID, ...change }, flavor);
    expect(problems.join('\n')).toContain(problem);
  });

  it('accepts http and loopback remotes for the toolhive flavor', () => {
    expect(entryProblems({ ...VALID, remotes: [{ type: 'sse', url: 'http://localhost:8080/sse' }] }, 'toolhive')).toEqual([]);
  });

  it('accepts a prerelease and a v-prefixed version', () => {
    expect(entryProblems({ ...VALID, version: 'v1.2.3-rc.1' }, 'upstream')).toEqual([]);
  });
});
