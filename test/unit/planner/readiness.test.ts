// Ready before published (publishing.md §4, discovery.md section 10): readiness of each
// kind of MCP resource by its status.phase, the warning for a resource no operator has
// reported on, and `pending`: planned names none of whose MCP resources is ready (several
// resources behind one name, route-only exports, the PlanCache path).

import { describe, expect, it } from 'vitest';
import { ObjectIndex } from '../../../src/cluster/object-index.ts';
import type { KubeObject } from '../../../src/kubernetes/objects.ts';
import { PlanCache } from '../../../src/planner/plan-cache.ts';
import { plan } from '../../../src/planner/plan.ts';
import { hasReadiness, phaseOf, READY_PHASES, readinessOf } from '../../../src/planner/readiness.ts';
import { annotations, backendTo, mcpServer, planValid, remoteProxy, route, virtualServer, warningsOf, world, type ResourceOptions } from './fixtures.ts';

const NO_PHASE = 'has no status.phase yet (no operator has reported); counted as ready';

function withStatus(kind: string, status: unknown): KubeObject {
  return { apiVersion: 'toolhive.stacklok.dev/v1beta1', kind, metadata: { name: 'x', namespace: 'mcp' }, ...(status === undefined ? {} : { status }) } as KubeObject;
}

describe('readiness of an MCP resource by its status.phase', () => {
  it.each<[string, string, boolean]>([
    ['MCPServer', 'Ready', true],
    ['MCPServer', 'Pending', false],
    ['MCPServer', 'Failed', false],
    ['MCPServer', 'Terminating', false],
    ['MCPServer', 'Stopped', false],
    ['MCPServer', 'Degraded', false],
    ['MCPServer', 'ready', false],
    ['MCPServer', 'Valid', false],
    ['MCPRemoteProxy', 'Ready', true],
    ['MCPRemoteProxy', 'Pending', false],
    ['MCPRemoteProxy', 'Failed', false],
    ['MCPRemoteProxy', 'Terminating', false],
    ['MCPRemoteProxy', 'Degraded', false],
    ['VirtualMCPServer', 'Ready', true],
    ['VirtualMCPServer', 'Degraded', true],
    ['VirtualMCPServer', 'Pending', false],
    ['VirtualMCPServer', 'Failed', false],
    ['MCPServerEntry', 'Valid', true],
    ['MCPServerEntry', 'Pending', false],
    ['MCPServerEntry', 'Failed', false],
    ['MCPServerEntry', 'Ready', false],
  ])('%s %s: ready %s', (kind, phase, ready) => {
    expect(readinessOf(withStatus(kind, { phase }))).toEqual({ ready, phase });
  });

  it.each<[string, unknown]>([
    ['no status', undefined],
    ['an empty status', {}],
    ['a status without phase (conditions only)', { conditions: [{ type: 'Ready', status: 'False' }] }],
    ['an empty phase', { phase: '' }],
    ['a null phase', { phase: null }],
    ['a status that is not an object', 'Failed'],
    ['a status that is a list', [{ phase: 'Failed' }]],
  ])('%s: not reported, counted as ready', (_, status) => {
    for (const kind of Object.keys(READY_PHASES)) {
      expect(readinessOf(withStatus(kind, status)), kind).toEqual({ ready: true, phase: undefined });
    }
  });

  it('a phase that breaks the CRD schema is not ready, and told as one printable line', () => {
    expect(readinessOf(withStatus('MCPServer', { phase: 42 }))).toEqual({ ready: false, phase: '42' });
    expect(readinessOf(withStatus('MCPServer', { phase: { state: 'Ready' } }))).toEqual({ ready: false, phase: '{"state":"Ready"}' });
    expect(readinessOf(withStatus('MCPServer', { phase: 'Ready\nor not' }))).toEqual({ ready: false, phase: 'Ready\\u000aor not' });
    const long = readinessOf(withStatus('MCPServer', { phase: 'x'.repeat(500) }));
    expect(long.ready).toBe(false);
    expect(long.phase).toBe(`${'x'.repeat(100)}…`);
  });

  it('the kind given wins over the object\'s; kinds that are not MCP resources are always ready', () => {
    expect(readinessOf(withStatus('MCPServer', { phase: 'Degraded' }), 'VirtualMCPServer').ready).toBe(true);
    expect(readinessOf(withStatus('HTTPRoute', { phase: 'Failed' }))).toEqual({ ready: true, phase: 'Failed' });
    expect(hasReadiness('HTTPRoute')).toBe(false);
    expect(hasReadiness('toString')).toBe(false);
    expect(hasReadiness(undefined)).toBe(false);
    expect(['MCPServer', 'MCPRemoteProxy', 'VirtualMCPServer', 'MCPServerEntry'].every(hasReadiness)).toBe(true);
    expect(phaseOf(withStatus('MCPServer', { phase: 'Pending' }))).toBe('Pending');
  });
});

/** An MCP resource exported with its own URL (a direct remote), in namespace a. */
function direct(name: string, phase: string | null, extra: Record<string, string> = {}, build = mcpServer): KubeObject {
  const options: ResourceOptions = {
    phase,
    annotations: annotations({ 'registry-export': 'true', 'registry-url': `https://${name}.example.com/mcp`, 'registry-description': `${name} tools`, ...extra }),
  };
  return build('a', name, options);
}

const ref = (kind: string, name: string, namespace = 'a') => ({ kind, namespace, name });

describe('the warning for an MCP resource no operator has reported on', () => {
  it('one per planned MCP resource without a phase, naming it; the entry is published and not pending', () => {
    const result = planValid([direct('github', null)]);
    expect(result.entries.map((entry) => entry.name)).toEqual(['com.toolhive.k8s.a/github']);
    expect(result.pending).toEqual([]);
    expect(warningsOf(result)).toEqual([`MCPServer a/github: ${NO_PHASE}`]);
    expect(result.warnings).toEqual([{ kind: 'MCPServer', namespace: 'a', name: 'github', message: NO_PHASE }]);
  });

  it('the MCP resource behind an exported route is warned about, not the route', () => {
    const result = planValid(world(mcpServer('mcp', 'github', { phase: null }), route()));
    expect(result.entries).toHaveLength(1);
    expect(warningsOf(result)).toEqual([`MCPServer mcp/github: ${NO_PHASE}`]);
  });

  it('once per resource even when it feeds two names', () => {
    const result = planValid(
      world(
        mcpServer('mcp', 'github', { phase: null, annotations: annotations({ 'registry-export': 'true', 'registry-url': 'https://direct.example.com/mcp', 'registry-description': 'GitHub' }) }),
        route({ annotations: annotations({ 'registry-export': 'true', 'registry-name': 'routed' }) }),
      ),
    );
    expect(result.entries.map((entry) => entry.name)).toEqual(['com.toolhive.k8s.mcp/github', 'com.toolhive.k8s.mcp/routed']);
    expect(warningsOf(result)).toEqual([`MCPServer mcp/github: ${NO_PHASE}`]);
  });

  it.each<[string, KubeObject[]]>([
    ['an MCP resource that is not exported', [mcpServer('a', 'github', { phase: null })]],
    ['one that is exported but skipped (no description)', [direct('github', null, { 'registry-description': '' })]],
    ['one being deleted', [mcpServer('a', 'github', { phase: null, deleting: true, annotations: direct('github', null).metadata!.annotations! })]],
    ['a route-only export (no MCP resource)', world(route({ name: 'docs', annotations: annotations({ 'registry-export': 'true', 'registry-name': 'docs', 'registry-description': 'Docs' }), rules: [backendTo('plain')] }))],
  ])('none for %s', (_, objects) => {
    expect(warningsOf(plan(objects)).filter((line) => line.includes('status.phase'))).toEqual([]);
  });

  it('none when every planned MCP resource has reported a phase, ready or not', () => {
    const result = planValid([direct('github', 'Ready'), direct('jira', 'Failed'), direct('notion', 'Pending', {}, remoteProxy), direct('all', 'Degraded', {}, virtualServer)]);
    expect(result.entries).toHaveLength(4);
    expect(result.warnings).toEqual([]);
  });
});

describe('pending: planned names none of whose MCP resources is ready', () => {
  it('a name whose only MCP resource is not ready is pending, and still planned', () => {
    const result = planValid([direct('github', 'Failed')]);
    expect(result.entries.map((entry) => entry.name)).toEqual(['com.toolhive.k8s.a/github']);
    expect(result.pending).toEqual([{ name: 'com.toolhive.k8s.a/github', objects: [ref('MCPServer', 'github')], reason: 'MCPServer a/github is Failed' }]);
    expect(result.warnings).toEqual([]);
  });

  it('readiness does not change the entry', () => {
    expect(planValid([direct('github', 'Failed')]).entries).toEqual(planValid([direct('github', 'Ready')]).entries);
  });

  it.each<[string, boolean, KubeObject]>([
    ['MCPServer Ready', false, direct('xy', 'Ready')],
    ['MCPServer Pending', true, direct('xy', 'Pending')],
    ['MCPServer Stopped', true, direct('xy', 'Stopped')],
    ['MCPServer without a phase', false, direct('xy', null)],
    ['MCPRemoteProxy Ready', false, direct('xy', 'Ready', {}, remoteProxy)],
    ['MCPRemoteProxy Terminating', true, direct('xy', 'Terminating', {}, remoteProxy)],
    ['VirtualMCPServer Ready', false, direct('xy', 'Ready', {}, virtualServer)],
    ['VirtualMCPServer Degraded', false, direct('xy', 'Degraded', {}, virtualServer)],
    ['VirtualMCPServer Failed', true, direct('xy', 'Failed', {}, virtualServer)],
  ])('%s: pending %s', (_, pending, object) => {
    const result = planValid([object]);
    expect(result.entries).toHaveLength(1);
    expect(result.pending.map((p) => p.reason)).toEqual(pending ? [`${object.kind} a/xy is ${(object.status as { phase: string }).phase}`] : []);
  });

  describe('several MCP resources behind one name', () => {
    const shared = (name: string, phase: string | null) => direct(name, phase, { 'registry-name': 'shared', 'registry-description': 'Shared tools' });

    it('one of them ready: not pending', () => {
      const result = planValid([shared('x', 'Failed'), shared('y', 'Ready'), shared('z', 'Pending')]);
      expect(result.entries.map((entry) => [entry.name, entry.remotes.length])).toEqual([['com.toolhive.k8s.a/shared', 3]]);
      expect(result.pending).toEqual([]);
    });

    it('one of them without a phase (counted as ready): not pending, and warned', () => {
      const result = planValid([shared('x', 'Failed'), shared('y', null)]);
      expect(result.pending).toEqual([]);
      expect(warningsOf(result)).toEqual([`MCPServer a/y: ${NO_PHASE}`]);
    });

    it('none of them ready: pending, with each resource and its phase', () => {
      const result = planValid([shared('y', 'Failed'), shared('x', 'Pending'), direct('z', 'Terminating', { 'registry-name': 'shared', 'registry-description': 'Shared tools' }, remoteProxy)]);
      expect(result.entries.map((entry) => entry.name)).toEqual(['com.toolhive.k8s.a/shared']);
      expect(result.pending).toEqual([
        {
          name: 'com.toolhive.k8s.a/shared',
          objects: [ref('MCPServer', 'x'), ref('MCPServer', 'y'), ref('MCPRemoteProxy', 'z')],
          reason: 'MCPServer a/x is Pending, MCPServer a/y is Failed, MCPRemoteProxy a/z is Terminating',
        },
      ]);
    });

    it('routes and resources under one name: only the MCP resources count', () => {
      const objects = world(
        mcpServer('mcp', 'github', { phase: 'Failed' }),
        remoteProxy('mcp', 'notion', { phase: 'Pending', annotations: annotations({ 'registry-description': 'Notion' }) }),
        route({ annotations: annotations({ 'registry-export': 'true', 'registry-name': 'tools' }), rules: [backendTo('mcp-github-proxy'), backendTo('mcp-notion-remote-proxy', { matches: [{ path: { type: 'PathPrefix', value: '/notion' } }], filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } }] })] }),
      );
      const result = planValid(objects);
      expect(result.entries.map((entry) => entry.name)).toEqual(['com.toolhive.k8s.mcp/tools']);
      expect(result.pending).toEqual([
        { name: 'com.toolhive.k8s.mcp/tools', objects: [ref('MCPServer', 'github', 'mcp'), ref('MCPRemoteProxy', 'notion', 'mcp')], reason: 'MCPServer mcp/github is Failed, MCPRemoteProxy mcp/notion is Pending' },
      ]);
      const oneReady = objects.map((object) => (object.kind === 'MCPRemoteProxy' ? remoteProxy('mcp', 'notion', { annotations: annotations({ 'registry-description': 'Notion' }) }) : object));
      expect(planValid(oneReady).pending).toEqual([]);
    });
  });

  it('a route to an MCP resource that is not ready: the resource is pending, not the route', () => {
    const result = planValid(world(mcpServer('mcp', 'github', { phase: 'Pending' }), route()));
    expect(result.pending).toEqual([{ name: 'com.toolhive.k8s.mcp/github', objects: [ref('MCPServer', 'github', 'mcp')], reason: 'MCPServer mcp/github is Pending' }]);
  });

  it('route-only exports have no MCP resource and are never pending', () => {
    const docs = route({ name: 'docs', annotations: annotations({ 'registry-export': 'true', 'registry-name': 'docs', 'registry-description': 'Docs' }), rules: [backendTo('plain')] });
    const result = planValid(world(docs, mcpServer('mcp', 'plain', { phase: 'Failed' })));
    expect(result.entries.map((entry) => entry.name)).toEqual(['com.toolhive.k8s.mcp/docs']);
    expect(result.pending).toEqual([]);
    expect(result.warnings).toEqual([]);
  });

  it('names that are skipped are not pending (only planned names are)', () => {
    const result = plan([direct('github', 'Failed', { 'registry-description': '' })]);
    expect(result.entries).toEqual([]);
    expect(result.pending).toEqual([]);
  });

  it('sorted by name', () => {
    const result = planValid([direct('zeta', 'Failed'), direct('alpha', 'Pending'), direct('mid', 'Ready'), direct('beta', 'Failed', { 'registry-name': 'io.github.acme/beta' })]);
    expect(result.pending.map((p) => p.name)).toEqual(['com.toolhive.k8s.a/alpha', 'com.toolhive.k8s.a/zeta', 'io.github.acme/beta']);
    expect(result.entries.map((e) => e.name)).toEqual(['com.toolhive.k8s.a/alpha', 'com.toolhive.k8s.a/mid', 'com.toolhive.k8s.a/zeta', 'io.github.acme/beta']);
  });

  it('with a PlanCache: a change of phase alone changes pending, as a fresh plan does', () => {
    const cache = new PlanCache();
    const world1 = world(mcpServer('mcp', 'github', { phase: 'Ready' }), route(), direct('direct', 'Ready'));
    const phases: [string | null, string | null][] = [
      ['Failed', 'Ready'],
      ['Failed', 'Pending'],
      ['Ready', 'Pending'],
      [null, null],
      ['Ready', 'Ready'],
    ];
    expect(plan(new ObjectIndex(world1), {}, { cache })).toEqual(plan(world1));
    let previous = plan(world1);
    for (const [routed, directPhase] of phases) {
      // Informer caches replace an object whose status changed; they do not edit it.
      const objects = world1.map((object) => {
        if (object.kind === 'MCPServer' && object.metadata?.name === 'github') return mcpServer('mcp', 'github', { phase: routed });
        if (object.kind === 'MCPServer' && object.metadata?.name === 'direct') return direct('direct', directPhase);
        return object;
      });
      const cached = plan(new ObjectIndex(objects), {}, { cache });
      const fresh = plan(objects);
      expect(cached, `${routed} ${directPhase}`).toEqual(fresh);
      expect(cached.entries, 'the entries do not change').toEqual(previous.entries);
      const expected = [
        ...(directPhase !== null && directPhase !== 'Ready' ? [`com.toolhive.k8s.a/direct: MCPServer a/direct is ${directPhase}`] : []),
        ...(routed !== null && routed !== 'Ready' ? [`com.toolhive.k8s.mcp/github: MCPServer mcp/github is ${routed}`] : []),
      ];
      expect(cached.pending.map((p) => `${p.name}: ${p.reason}`)).toEqual(expected);
      previous = fresh;
    }
  });

  it('with a PlanCache: the same objects give the same pending names again (nothing is remembered wrongly)', () => {
    const cache = new PlanCache();
    const objects = [direct('github', 'Failed'), direct('jira', null)];
    const first = plan(objects, {}, { cache });
    expect(plan(objects, {}, { cache })).toEqual(first);
    expect(first.pending.map((p) => p.name)).toEqual(['com.toolhive.k8s.a/github']);
    expect(warningsOf(first)).toEqual([`MCPServer a/jira: ${NO_PHASE}`]);
  });
});
