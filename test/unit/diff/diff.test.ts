import { describe, expect, it } from 'vitest';
import { diffEntries, type PublishWrite, type Write } from '../../../src/diff/diff.ts';
import { OWNERSHIP_KEY, PUBLISHER_PROVIDED_KEY, SERVER_SCHEMA_URL, type ServerEntry } from '../../../src/planner/server-entry.ts';
import type { EntryStatus, RegistryVersion } from '../../../src/registry/client.ts';

const OWNER = 'cluster-a';

function entry(name: string, options: { version?: string; description?: string; urls?: string[]; owner?: string } = {}): ServerEntry {
  return {
    $schema: SERVER_SCHEMA_URL,
    name,
    description: options.description ?? 'An MCP server',
    version: options.version ?? '1.0.0',
    remotes: (options.urls ?? [`https://mcp.example.com/${name.split('/')[1]}/mcp`]).map((url) => ({ type: 'streamable-http' as const, url })),
    _meta: {
      [PUBLISHER_PROVIDED_KEY]: {
        'io.github.stacklok': {},
        [OWNERSHIP_KEY]: { owner: options.owner ?? OWNER, sources: [{ kind: 'HTTPRoute', namespace: 'mcp', name: 'x' }] },
      },
    },
  };
}

let clock = Date.parse('2026-01-01T00:00:00Z');
function held(server: ServerEntry, status: EntryStatus = 'active', isLatest = true): RegistryVersion {
  clock += 60_000;
  return { server: { ...server }, status, isLatest, publishedAt: new Date(clock).toISOString() };
}

const summary = (writes: Write[]) => writes.map((w) => `${w.kind} ${w.name}@${w.version}${w.after.length ? ` after ${w.after.join(',')}` : ''}`);

describe('diffEntries', () => {
  it('publishes a name the registry does not know, at its base version', () => {
    const result = diffEntries([entry('com.x/a')], new Map(), OWNER);
    expect(summary(result.writes)).toEqual(['publish com.x/a@1.0.0']);
    expect((result.writes[0] as PublishWrite).entry.version).toBe('1.0.0');
    expect(result.writes[0]!.reason).toBe('new entry');
  });

  it('writes nothing when the registry holds the same content (a restart)', () => {
    const a = entry('com.x/a');
    const result = diffEntries([a], new Map([['com.x/a', [held(a)]]]), OWNER);
    expect(result.writes).toEqual([]);
    expect(result.unchanged).toEqual(['com.x/a']);
  });

  it('ignores key order: the registry stores jsonb', () => {
    const a = entry('com.x/a');
    const reordered = JSON.parse(JSON.stringify({ _meta: a._meta, remotes: a.remotes, version: a.version, name: a.name, description: a.description, $schema: a.$schema }));
    expect(diffEntries([a], new Map([['com.x/a', [held(reordered)]]]), OWNER).writes).toEqual([]);
  });

  it('a content change is a new revision, then the old version is retired', () => {
    const old = entry('com.x/a');
    const result = diffEntries([entry('com.x/a', { description: 'Now better' })], new Map([['com.x/a', [held(old)]]]), OWNER);
    expect(summary(result.writes)).toEqual(['update com.x/a@1.0.1-0.1', 'retire com.x/a@1.0.0 after 0']);
    expect(result.writes[0]!.reason).toBe('changed: description');
    expect((result.writes[0] as PublishWrite).rerankLatest).toBe(false);
  });

  it('a new base version is published as is even when the content is the same', () => {
    const old = entry('com.x/a');
    const result = diffEntries([entry('com.x/a', { version: '1.1.0' })], new Map([['com.x/a', [held(old)]]]), OWNER);
    expect(summary(result.writes)).toEqual(['update com.x/a@1.1.0', 'retire com.x/a@1.0.0 after 0']);
    expect(result.writes[0]!.reason).toBe('base version changed to 1.1.0');
  });

  it('the same content under a revision of the base is current', () => {
    const current = { ...entry('com.x/a'), version: '1.0.1-0.4' };
    const history = [held(entry('com.x/a'), 'deleted', false), held(current)];
    expect(diffEntries([entry('com.x/a')], new Map([['com.x/a', history]]), OWNER).writes).toEqual([]);
  });

  it('retires extra active versions of a current name', () => {
    const a = entry('com.x/a');
    const older = held({ ...a, description: 'old' }, 'active', false);
    const current = held({ ...a, version: '1.0.1-0.1' });
    const result = diffEntries([a], new Map([['com.x/a', [older, current]]]), OWNER);
    expect(summary(result.writes)).toEqual(['retire com.x/a@1.0.0']);
  });

  it('retires every active version of an owned name that is no longer planned, none of a deleted one', () => {
    const a = entry('com.x/a');
    const registry = new Map([
      ['com.x/a', [held(a, 'deleted', false), held({ ...a, version: '1.0.1-0.1' }, 'deprecated', false), held({ ...a, version: '1.0.1-0.2' })]],
      ['com.x/gone', [held(entry('com.x/gone'), 'deleted')]],
    ]);
    const result = diffEntries([], registry, OWNER);
    expect(summary(result.writes)).toEqual(['retire com.x/a@1.0.1-0.1', 'retire com.x/a@1.0.1-0.2']);
    expect(result.writes[0]!.reason).toBe('no longer planned');
  });

  it('re-publishing a retired name takes a fresh revision (retired versions stay taken)', () => {
    const a = entry('com.x/a');
    const registry = new Map([['com.x/a', [held(a, 'deleted'), held({ ...a, version: '1.0.1-0.1' }, 'deleted')]]]);
    const result = diffEntries([a], registry, OWNER);
    expect(summary(result.writes)).toEqual(['update com.x/a@1.0.1-0.2']);
    expect(result.writes[0]!.reason).toBe('no active version (all retired)');
    expect((result.writes[0] as PublishWrite).rerankLatest).toBe(false);
  });

  it('a rolled-back base with nothing else active asks for a re-rank', () => {
    const registry = new Map([['com.x/a', [held(entry('com.x/a', { version: '2.0.0' }), 'deleted')]]]);
    const result = diffEntries([entry('com.x/a', { version: '1.0.0' })], registry, OWNER);
    expect(summary(result.writes)).toEqual(['update com.x/a@1.0.0']);
    expect((result.writes[0] as PublishWrite).rerankLatest).toBe(true);
  });

  it('never touches names of another owner or of none, and reports planned ones as conflicts', () => {
    const theirs = entry('com.x/a', { owner: 'cluster-b' });
    const orphan = entry('com.x/b');
    delete (orphan._meta[PUBLISHER_PROVIDED_KEY] as unknown as Record<string, unknown>)[OWNERSHIP_KEY];
    const registry = new Map([
      ['com.x/a', [held(theirs)]],
      ['com.x/b', [held(orphan)]],
      ['com.x/c', [held(entry('com.x/c', { owner: 'cluster-b' }))]],
    ]);
    const result = diffEntries([entry('com.x/a'), entry('com.x/b')], registry, OWNER);
    expect(result.writes).toEqual([]);
    expect(result.conflicts).toEqual([
      { name: 'com.x/a', owner: 'cluster-b', reason: "the registry's com.x/a belongs to owner cluster-b" },
      { name: 'com.x/b', owner: undefined, reason: "the registry's com.x/b has no ownership record (published by someone else)" },
    ]);
  });

  it('a rename retires the old name first: its URL moves to the new name', () => {
    const url = 'https://mcp.example.com/github/mcp';
    const registry = new Map([['com.x/old', [held(entry('com.x/old', { urls: [url] }))]]]);
    const result = diffEntries([entry('com.x/new', { urls: [url] })], registry, OWNER);
    expect(summary(result.writes)).toEqual(['retire com.x/old@1.0.0', 'publish com.x/new@1.0.0 after 0']);
    expect(result.writes[0]!.reason).toBe('no longer planned; frees a URL for com.x/new');
  });

  it('a URL moving between two planned names retires its old holder first', () => {
    const u1 = 'https://mcp.example.com/one/mcp';
    const u2 = 'https://mcp.example.com/two/mcp';
    const registry = new Map([
      ['com.x/a', [held(entry('com.x/a', { urls: [u1, u2] }))]],
      ['com.x/b', [held(entry('com.x/b', { urls: ['https://mcp.example.com/b/mcp'] }))]],
    ]);
    const result = diffEntries([entry('com.x/a', { urls: [u1] }), entry('com.x/b', { urls: ['https://mcp.example.com/b/mcp', u2] })], registry, OWNER);
    expect(summary(result.writes)).toEqual([
      'retire com.x/a@1.0.0',
      'update com.x/a@1.0.1-0.1',
      'update com.x/b@1.0.1-0.1 after 0',
      'retire com.x/b@1.0.0 after 2',
    ]);
    // com.x/a's new version ranks first by itself, so no re-rank is needed after its old one went first.
    expect((result.writes[1] as PublishWrite).rerankLatest).toBe(false);
  });
});
