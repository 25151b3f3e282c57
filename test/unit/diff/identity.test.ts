// Whose entry is it (publishing.md §3): owner and installation in the ownership record,
// records older than the installation field, --adopt-owner, and the digest that keeps a
// lossy registry from causing republishes (§5).
import { describe, expect, it } from 'vitest';
import { contentDigest } from '../../../src/diff/content.ts';
import { diffEntries, withDigest, type PublishWrite, type Write } from '../../../src/diff/diff.ts';
import { parseAdoptedOwner, standingOf, type Identity } from '../../../src/diff/identity.ts';
import { OWNERSHIP_KEY, PUBLISHER_PROVIDED_KEY, type ServerEntry } from '../../../src/planner/server-entry.ts';
import { heldVersion, serverEntry } from '../../support/registry-entries.ts';

const entry = (name: string, record: { owner?: string; installation?: string; digest?: string } = {}, description?: string): ServerEntry =>
  serverEntry(name, { ...record, ...(description ? { description } : {}), sources: [{ kind: 'HTTPRoute', namespace: 'mcp', name: 'x' }] });
const held = heldVersion;
const summary = (writes: Write[]) => writes.map((w) => `${w.kind} ${w.name}@${w.version}`);
const RELEASE_A: Identity = { owner: 'cluster-a', installation: 'mcp-system/a' };

describe('standingOf', () => {
  const rows: [string, { owner?: string; installation?: string }, Identity, string][] = [
    ['our owner and installation', { installation: 'mcp-system/a' }, RELEASE_A, 'ours'],
    ['our owner, a record older than the installation field', {}, RELEASE_A, 'ours'],
    ['our owner, another installation', { installation: 'gw/b' }, RELEASE_A, 'sibling'],
    ['another owner', { owner: 'cluster-b', installation: 'mcp-system/a' }, RELEASE_A, 'foreign'],
    ['an adopted owner, any installation', { owner: 'old-cluster', installation: 'x/y' }, { ...RELEASE_A, adopt: [{ owner: 'old-cluster' }] }, 'ours'],
    ['an adopted installation of an owner', { owner: 'old-cluster', installation: 'x/y' }, { ...RELEASE_A, adopt: [{ owner: 'old-cluster', installation: 'x/y' }] }, 'ours'],
    ['another installation of an adopted owner', { owner: 'old-cluster', installation: 'x/z' }, { ...RELEASE_A, adopt: [{ owner: 'old-cluster', installation: 'x/y' }] }, 'foreign'],
    ['a renamed release of our owner, adopted', { installation: 'mcp-system/old' }, { ...RELEASE_A, adopt: [{ owner: 'cluster-a', installation: 'mcp-system/old' }] }, 'ours'],
  ];
  for (const [label, record, identity, standing] of rows) {
    it(`${label}: ${standing}`, () => expect(standingOf(entry('com.x/a', record), identity)).toBe(standing));
  }
  it('no record: unrecorded', () => expect(standingOf({ _meta: {} }, RELEASE_A)).toBe('unrecorded'));
  it('--adopt-owner ID/INSTALLATION keeps the slash of namespace/lease installations', () => {
    expect(parseAdoptedOwner('uid-1')).toEqual({ owner: 'uid-1' });
    expect(parseAdoptedOwner('uid-1/mcp-system/mcp-registry-export')).toEqual({ owner: 'uid-1', installation: 'mcp-system/mcp-registry-export' });
  });
});

describe('diffEntries with installations', () => {
  it("never retires another installation's name of the same owner, and reports it as a conflict when planned", () => {
    const theirs = entry('com.x/b', { installation: 'gw/b' });
    const notPlanned = diffEntries([], new Map([['com.x/b', [held(theirs)]]]), RELEASE_A);
    expect(notPlanned.writes).toEqual([]);
    expect(notPlanned.owned).toEqual([]);
    const planned = diffEntries([entry('com.x/b', { installation: 'mcp-system/a' })], new Map([['com.x/b', [held(theirs)]]]), RELEASE_A);
    expect(planned.writes).toEqual([]);
    expect(planned.conflicts).toEqual([{ name: 'com.x/b', owner: 'cluster-a', reason: "the registry's com.x/b belongs to installation gw/b of this owner" }]);
  });

  it('a record without installation, or of an adopted owner, is not rewritten until the content changes', () => {
    const plannedA = entry('com.x/a', { installation: 'mcp-system/a' });
    const legacy = diffEntries([plannedA], new Map([['com.x/a', [held(entry('com.x/a'))]]]), RELEASE_A);
    expect(legacy.writes).toEqual([]);
    expect(legacy.unchanged).toEqual(['com.x/a']);
    const adopted = diffEntries([plannedA], new Map([['com.x/a', [held(entry('com.x/a', { owner: 'old', installation: 'o/p' }))]]]), { ...RELEASE_A, adopt: [{ owner: 'old' }] });
    expect(adopted.writes).toEqual([]);
    const changed = diffEntries([entry('com.x/a', { installation: 'mcp-system/a' }, 'New text')], new Map([['com.x/a', [held(entry('com.x/a', { owner: 'old' }))]]]), { ...RELEASE_A, adopt: [{ owner: 'old' }] });
    expect(summary(changed.writes)).toEqual(['update com.x/a@1.0.1-0.1', 'retire com.x/a@1.0.0']);
    const record = (changed.writes[0] as PublishWrite).entry._meta[PUBLISHER_PROVIDED_KEY][OWNERSHIP_KEY];
    expect(record).toMatchObject({ owner: 'cluster-a', installation: 'mcp-system/a' });
  });

  it('every publish carries the digest of its content, and the digest ignores who wrote it', () => {
    const result = diffEntries([entry('com.x/a', { installation: 'mcp-system/a' })], new Map(), RELEASE_A);
    const sent = (result.writes[0] as PublishWrite).entry;
    expect(sent._meta[PUBLISHER_PROVIDED_KEY][OWNERSHIP_KEY].digest).toBe(contentDigest(entry('com.x/a')));
    expect(contentDigest(entry('com.x/a', { owner: 'z', installation: 'q/r' }))).toBe(contentDigest(entry('com.x/a')));
    expect(contentDigest(entry('com.x/a', {}, 'other'))).not.toBe(contentDigest(entry('com.x/a')));
  });

  it('a registry copy that lost a field but carries the digest of the plan is not republished (altered), a real change is', () => {
    const planned = entry('com.x/a', { installation: 'mcp-system/a' });
    const sent = withDigest(planned);
    const lossy = JSON.parse(JSON.stringify(sent)) as ServerEntry & { title?: string };
    delete (lossy as { $schema?: string }).$schema;
    const result = diffEntries([planned], new Map([['com.x/a', [held(lossy)]]]), RELEASE_A);
    expect(result.writes).toEqual([]);
    expect(result.altered).toEqual(['com.x/a']);
    const changed = diffEntries([entry('com.x/a', { installation: 'mcp-system/a' }, 'changed')], new Map([['com.x/a', [held(lossy)]]]), RELEASE_A);
    expect(summary(changed.writes)).toEqual(['update com.x/a@1.0.1-0.1', 'retire com.x/a@1.0.0']);
  });

  it('a deprecated current version planned as it is gets activated, not a new version', () => {
    const a = entry('com.x/a');
    const result = diffEntries([a], new Map([['com.x/a', [held(a, 'deprecated')]]]), 'cluster-a');
    expect(summary(result.writes)).toEqual(['activate com.x/a@1.0.0']);
    expect(result.unchanged).toEqual(['com.x/a']);
  });

  it('lists the names this installation holds, with their sources, and marks name retires apart from superseded ones', () => {
    const a = entry('com.x/a');
    const b = entry('com.x/b');
    const result = diffEntries([entry('com.x/a', {}, 'new')], new Map([['com.x/a', [held(a)]], ['com.x/b', [held(b)]]]), 'cluster-a');
    expect(result.owned.map((o) => [o.name, o.planned, o.current?.server.version, o.sources.map((s) => s.name)])).toEqual([
      ['com.x/a', true, '1.0.0', ['x']],
      ['com.x/b', false, '1.0.0', ['x']],
    ]);
    const retires = result.writes.filter((w) => w.kind === 'retire');
    expect(retires.map((w) => [w.name, 'supersededBy' in w ? w.supersededBy : undefined])).toEqual([
      ['com.x/a', 'com.x/a'],
      ['com.x/b', undefined],
    ]);
  });
});
