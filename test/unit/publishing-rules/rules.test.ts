// The publishing rules (publishing.md §1-§4) as tables over the diff: holds and their grace,
// readiness, the namespace scope of retires, the policies and the mass-retire guard.
import { describe, expect, it } from 'vitest';
import { diffEntries, type Write } from '../../../src/diff/diff.ts';
import { applyPublishingRules, holdKey, massRetireRefusal, policyWithholds, sourceUncertainty, staleStatus, withinNamespaces, type RulesInput, type Uncertainty } from '../../../src/publishing-rules/index.ts';
import { ContentionTracker } from '../../../src/publishing-rules/contention.ts';
import { ObjectIndex } from '../../../src/cluster/object-index.ts';
import type { OwnedSource } from '../../../src/planner/ownership.ts';
import type { ServerEntry } from '../../../src/planner/server-entry.ts';
import type { EntryStatus } from '../../../src/registry/client.ts';
import { heldVersion, serverEntry } from '../../support/registry-entries.ts';
import { PUBLISHING_DEFAULTS } from '../../../src/publisher/publishing-settings.ts';

const OWNER = 'cluster-a';
const route = (name: string, namespace = 'mcp'): OwnedSource => ({ kind: 'HTTPRoute', namespace, name });
const server = (name: string, namespace = 'mcp'): OwnedSource => ({ kind: 'MCPServer', namespace, name });

const entry = (name: string, sources?: OwnedSource[], description?: string): ServerEntry => serverEntry(name, { ...(sources ? { sources } : {}), ...(description ? { description } : {}) });
const held = heldVersion;
const registry = (...entries: [ServerEntry, EntryStatus?][]) => new Map(entries.map(([e, status]) => [e.name, [held(e, status)]]));
const summary = (writes: readonly Write[]) => writes.map((w) => `${w.kind} ${w.name}`);

const NOW = 1_000_000;
function rules(partial: Partial<RulesInput> & Pick<RulesInput, 'diff'>) {
  return applyPublishingRules({
    uncertainty: () => undefined,
    pending: new Map(),
    now: NOW,
    since: new Map(),
    statusChanges: true,
    ...PUBLISHING_DEFAULTS,
    holdGraceMs: 60_000,
    ...partial,
  });
}
const staleRoute = (name: string): ((s: OwnedSource) => Uncertainty | undefined) => (s) => (s.kind === 'HTTPRoute' && s.name === name ? { category: 'stale status', reason: `route ${name} is stale` } : undefined);

describe('holds (publishing.md §1)', () => {
  const a = entry('com.x/a');
  const routeGone = diffEntries([], registry([a]), OWNER); // route a no longer planned: its status went stale
  const routeEdited = diffEntries([entry('com.x/a', undefined, 'edited')], registry([a]), OWNER);

  it('a name whose route status is stale gets no retire and no update within the grace', () => {
    for (const diff of [routeGone, routeEdited]) {
      const result = rules({ diff, uncertainty: staleRoute('a') });
      expect(result.writes).toEqual([]);
      expect(result.holds).toMatchObject([{ name: 'com.x/a', category: 'stale status', expired: false, fresh: true, sources: [route('a')] }]);
      expect(result.withheld.every((w) => w.rule === 'hold')).toBe(true);
      expect(result.since.get(holdKey('com.x/a', 'stale status'))).toBe(NOW);
    }
  });

  it('keeps the first time a hold was seen, and applies the plan once the grace has passed', () => {
    const since = new Map([[holdKey('com.x/a', 'stale status'), NOW - 30_000]]);
    const within = rules({ diff: routeGone, uncertainty: staleRoute('a'), since });
    expect(within.writes).toEqual([]);
    expect(within.holds[0]).toMatchObject({ since: NOW - 30_000, fresh: false, expired: false });
    const past = rules({ diff: routeGone, uncertainty: staleRoute('a'), since: new Map([[holdKey('com.x/a', 'stale status'), NOW - 60_000]]) });
    expect(summary(past.writes)).toEqual(['retire com.x/a']);
    expect(past.holds[0]!.expired).toBe(true);
  });

  it('a state that clears forgets its time (no hold, normal writes)', () => {
    const result = rules({ diff: routeEdited, since: new Map([[holdKey('com.x/a', 'stale status'), NOW - 5_000]]) });
    expect(summary(result.writes)).toEqual(['update com.x/a', 'retire com.x/a']);
    expect(result.since.size).toBe(0);
  });

  it('an unknown kind holds every name that reads it; other names go on', () => {
    const b = entry('com.x/b', [server('b')]);
    const diff = diffEntries([], registry([a], [b]), OWNER);
    const unknownRoutes = (s: OwnedSource): Uncertainty | undefined => (s.kind === 'HTTPRoute' ? { category: 'unknown kind', reason: 'HTTPRoute objects are not known for certain' } : undefined);
    const result = rules({ diff, uncertainty: unknownRoutes });
    expect(summary(result.writes)).toEqual(['retire com.x/b']);
    expect(result.holds.map((h) => [h.name, h.category])).toEqual([['com.x/a', 'unknown kind']]);
  });

  it('a new name whose sources are uncertain is not published yet', () => {
    const diff = diffEntries([entry('com.x/new')], new Map(), OWNER);
    expect(rules({ diff, uncertainty: staleRoute('new') }).writes).toEqual([]);
  });
});

describe('readiness (publishing.md §4)', () => {
  const s = entry('com.x/s', [route('s'), server('s')]);
  const pending = new Map([['com.x/s', 'MCPServer mcp/s is Failed']]);

  it('a name that is not ready is not published', () => {
    const result = rules({ diff: diffEntries([s], new Map(), OWNER), pending });
    expect(result.writes).toEqual([]);
    expect(result.notPublished).toEqual([{ name: 'com.x/s', reason: 'MCPServer mcp/s is Failed' }]);
  });

  it('a published name turning not ready is held, then deprecated after the grace (upstream), never a new version', () => {
    const diff = diffEntries([entry('com.x/s', [route('s'), server('s')], 'changed')], registry([s]), OWNER);
    const within = rules({ diff, pending });
    expect(within.writes).toEqual([]);
    expect(within.holds).toMatchObject([{ name: 'com.x/s', category: 'not ready', expired: false, sources: [server('s')] }]);
    const past = rules({ diff, pending, since: new Map([[holdKey('com.x/s', 'not ready'), NOW - 60_000]]) });
    expect(summary(past.writes)).toEqual(['deprecate com.x/s']);
    expect(past.writes[0]).toMatchObject({ version: '1.0.0', message: 'MCPServer mcp/s is Failed' });
    expect(past.writes[0]!.id).toBeGreaterThanOrEqual(diff.writes.length);
  });

  it('a registry without a status API gets no write after the grace (the hold is reported)', () => {
    const diff = diffEntries([s], registry([s]), OWNER);
    const past = rules({ diff, pending, statusChanges: false, since: new Map([[holdKey('com.x/s', 'not ready'), NOW - 60_000]]) });
    expect(past.writes).toEqual([]);
    expect(past.holds[0]!.expired).toBe(true);
  });

  it('an uncertain source does not restart a readiness hold that is running', () => {
    const diff = diffEntries([s], registry([s]), OWNER);
    const since = new Map([[holdKey('com.x/s', 'not ready'), NOW - 30_000]]);
    const result = rules({ diff, pending, since, uncertainty: staleRoute('s') });
    expect(result.holds.map((h) => h.category)).toEqual(['stale status']);
    expect(result.since.get(holdKey('com.x/s', 'not ready'))).toBe(NOW - 30_000);
  });

  it('an already deprecated name is not deprecated again, and is activated once ready', () => {
    const diff = diffEntries([s], registry([s, 'deprecated']), OWNER);
    expect(rules({ diff, pending, since: new Map([[holdKey('com.x/s', 'not ready'), NOW - 600_000]]) }).writes).toEqual([]);
    expect(summary(rules({ diff }).writes)).toEqual(['activate com.x/s']);
  });
});

describe('namespace scope, policies and the retire guard (publishing.md §2-§3)', () => {
  it('withinNamespaces: the routes decide when there are any, else the MCP resources', () => {
    const rows: [OwnedSource[], string[], boolean][] = [
      [[route('a', 'team-a')], [], true],
      [[route('a', 'team-a')], ['team-a'], true],
      [[route('a', 'team-b')], ['team-a'], false],
      [[route('a', 'team-a'), server('a', 'shared')], ['team-a'], true],
      [[route('a', 'team-b'), server('a', 'team-a')], ['team-a'], false],
      [[server('a', 'team-a')], ['team-a'], true],
      [[server('a', 'team-b')], ['team-a'], false],
      [[], ['team-a'], false],
    ];
    for (const [sources, namespaces, expected] of rows) expect(withinNamespaces(sources, namespaces)).toBe(expected);
  });

  it('a name of a namespace no longer watched is not retired', () => {
    const diff = diffEntries([], registry([entry('com.x/a', [route('a', 'team-a')])], [entry('com.x/b', [route('b', 'team-b')])]), OWNER);
    const result = rules({ diff, namespaces: ['team-a'] });
    expect(summary(result.writes)).toEqual(['retire com.x/a']);
    expect(result.withheld.map((w) => [w.write.name, w.rule])).toEqual([['com.x/b', 'namespace scope']]);
  });

  it('policies: upsert-only never retires a name but keeps superseding; create-only only publishes', () => {
    const diff = diffEntries([entry('com.x/new'), entry('com.x/a', undefined, 'changed')], registry([entry('com.x/a')], [entry('com.x/gone')]), OWNER);
    expect(summary(rules({ diff }).writes)).toEqual(['update com.x/a', 'publish com.x/new', 'retire com.x/a', 'retire com.x/gone']);
    expect(summary(rules({ diff, policy: 'upsert-only' }).writes)).toEqual(['update com.x/a', 'publish com.x/new', 'retire com.x/a']);
    expect(summary(rules({ diff, policy: 'create-only' }).writes)).toEqual(['publish com.x/new']);
    const rows: [Parameters<typeof policyWithholds>[0], string, boolean][] = [
      ['sync', 'retire', false],
      ['upsert-only', 'deprecate', false],
      ['create-only', 'deprecate', true],
      ['create-only', 'activate', true],
    ];
    for (const [policy, kind, withheld] of rows) {
      expect(policyWithholds(policy, { id: 0, kind, name: 'n', version: '1', reason: '', after: [], sources: [] } as Write) !== undefined).toBe(withheld);
    }
  });

  it('the guard refuses a pass that retires more than the fraction of more than 5 names; publishes still go out', () => {
    const names = Array.from({ length: 10 }, (_, i) => entry(`com.x/s${i}`));
    const keep = names.slice(0, 3);
    const diff = diffEntries([...keep, entry('com.x/new')], registry(...names.map((e) => [e] as [ServerEntry])), OWNER);
    const refused = rules({ diff });
    expect(summary(refused.writes)).toEqual(['publish com.x/new']);
    expect(refused.massRetire?.names).toHaveLength(7);
    expect(refused.massRetire?.refusal).toContain('refusing to retire 7 of 10 active names');
    expect(rules({ diff, allowMassRetire: true }).writes).toHaveLength(8);
    expect(rules({ diff, maxRetireFraction: 0.8 }).writes).toHaveLength(8);
  });

  it('a contended name gets no write, and its retires do not count toward the guard', () => {
    const names = Array.from({ length: 10 }, (_, i) => entry(`com.x/s${i}`));
    const diff = diffEntries([...names.slice(0, 4), entry('com.x/new')], registry(...names.map((e) => [e] as [ServerEntry])), OWNER);
    // 6 of 10 retired: over the fraction; with s9 contended, 5 of 10: within it.
    expect(rules({ diff }).massRetire).toBeDefined();
    const result = rules({ diff, contended: (name) => name === 'com.x/s9' || name === 'com.x/new' });
    expect(result.massRetire).toBeUndefined();
    expect(summary(result.writes)).toEqual(['retire com.x/s4', 'retire com.x/s5', 'retire com.x/s6', 'retire com.x/s7', 'retire com.x/s8']);
    expect(result.withheld.map((w) => `${w.rule} ${w.write.kind} ${w.write.name}`).sort()).toEqual(['contention publish com.x/new', 'contention retire com.x/s9']);
  });

  it('massRetireRefusal: 5 names or fewer always pass; the fraction is of the active names', () => {
    const rows: [number, number, number, boolean, boolean][] = [
      [5, 5, 0.5, false, false],
      [6, 6, 0.5, false, true],
      [6, 12, 0.5, false, false],
      [7, 12, 0.5, false, true],
      [7, 12, 0.5, true, false],
      [6, 100, 0, false, true],
    ];
    for (const [retiring, active, maxFraction, allow, refused] of rows) expect(massRetireRefusal({ retiring, active, maxFraction, allow }) !== undefined).toBe(refused);
  });
});

describe('uncertainty of sources', () => {
  const routeObject = (generation: number, observed: number | undefined, parent = 'public') => ({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'a', namespace: 'mcp', generation },
    spec: { parentRefs: [{ name: 'public' }] },
    status: { parents: [{ parentRef: { name: parent }, controllerName: 'c', conditions: [{ type: 'Accepted', status: 'True', ...(observed === undefined ? {} : { observedGeneration: observed }) }] }] },
  });

  it('a route is stale while its accepted generation is behind its spec, only for parents it still names', () => {
    expect(staleStatus(routeObject(3, 2) as never)).toContain('generation 3');
    expect(staleStatus(routeObject(3, 3) as never)).toBeUndefined();
    expect(staleStatus(routeObject(3, undefined) as never)).toBeUndefined();
    expect(staleStatus(routeObject(3, 2, 'removed-parent') as never)).toBeUndefined();
  });

  it('sourceUncertainty: an uncertain kind the source is read from, else a stale route', () => {
    const lookups = new ObjectIndex([routeObject(2, 1) as never], 'default');
    expect(sourceUncertainty(route('a'), lookups, new Map())).toMatchObject({ category: 'stale status' });
    expect(sourceUncertainty(route('a'), lookups, new Map([['Gateway', 'not synced']]))).toEqual({ category: 'unknown kind', reason: 'Gateway objects are not known for certain: not synced' });
    expect(sourceUncertainty(server('a'), lookups, new Map([['Gateway', 'not synced']]))).toBeUndefined();
    expect(sourceUncertainty(server('a'), lookups, new Map([['MCPServer', 'watch failing']]))).toMatchObject({ category: 'unknown kind' });
    expect(sourceUncertainty(route('missing'), lookups, new Map())).toBeUndefined();
  });

  it('sourceUncertainty: an MCPServer or MCPRemoteProxy that names an MCPToolConfig is read from that kind too', () => {
    const resource = (kind: string, name: string, spec: Record<string, unknown>) => ({ apiVersion: 'toolhive.stacklok.dev/v1beta1', kind, metadata: { name, namespace: 'mcp' }, spec });
    const lookups = new ObjectIndex(
      [
        resource('MCPServer', 'configured', { toolConfigRef: { name: 'tools' } }),
        resource('MCPServer', 'plain', {}),
        resource('MCPRemoteProxy', 'proxied', { toolConfigRef: { name: 'tools' } }),
        resource('MCPServer', 'malformed', { toolConfigRef: 'tools' }),
      ] as never[],
      'default',
    );
    const uncertain = new Map([['MCPToolConfig', 'not synced']]);
    const source = (kind: string, name: string): OwnedSource => ({ kind, namespace: 'mcp', name });
    expect(sourceUncertainty(source('MCPServer', 'configured'), lookups, uncertain)).toEqual({ category: 'unknown kind', reason: 'MCPToolConfig objects are not known for certain: not synced' });
    expect(sourceUncertainty(source('MCPRemoteProxy', 'proxied'), lookups, uncertain)).toMatchObject({ category: 'unknown kind' });
    expect(sourceUncertainty(source('MCPServer', 'plain'), lookups, uncertain)).toBeUndefined();
    expect(sourceUncertainty(source('MCPServer', 'malformed'), lookups, uncertain)).toBeUndefined();
    expect(sourceUncertainty(source('MCPServer', 'gone'), lookups, uncertain)).toBeUndefined();
    expect(sourceUncertainty(route('a'), lookups, uncertain)).toBeUndefined();
  });
});

describe('ContentionTracker (publishing.md §3)', () => {
  it('two reads in a row that find a name changed under us block it until the next resync', () => {
    const tracker = new ContentionTracker();
    tracker.wrote('com.x/a', '1.0.1-0.1');
    expect(tracker.observe([{ name: 'com.x/a', version: '1.0.1-0.1' }, { name: 'com.x/other', version: '9' }])).toEqual([]);
    expect(tracker.observe([{ name: 'com.x/a', version: '1.0.1-0.2' }])).toEqual([]);
    tracker.wrote('com.x/a', '1.0.1-0.3');
    expect(tracker.observe([{ name: 'com.x/a', version: '1.0.1-0.4' }])).toEqual(['com.x/a']);
    expect(tracker.isBlocked('com.x/a')).toBe(true);
    tracker.resync();
    expect(tracker.isBlocked('com.x/a')).toBe(false);
    expect(tracker.observe([{ name: 'com.x/a', version: '1.0.1-0.4' }])).toEqual([]);
  });

  it('a read that finds our own version again starts the count over', () => {
    const tracker = new ContentionTracker();
    tracker.wrote('com.x/a', '1');
    tracker.observe([{ name: 'com.x/a', version: '2' }]);
    tracker.wrote('com.x/a', '3');
    tracker.observe([{ name: 'com.x/a', version: '3' }]);
    tracker.wrote('com.x/a', '4');
    expect(tracker.observe([{ name: 'com.x/a', version: '5' }])).toEqual([]);
  });
});
