// The contract's checks that look at other objects: parent attachment (Same/All/Selector,
// sectionName and port, kinds, hostnames), ReferenceGrants, proxy bypass, registry name
// ownership, description availability, and the warn-only mode.

import { describe, expect, it } from 'vitest';
import { ObjectIndex } from '../../../src/cluster/object-index.ts';
import { judgeObject } from '../../../src/contract/judge.ts';
import { buildExportIndex } from '../../../src/contract/name-claims.ts';
import { referentialInputsUnchanged } from '../../../src/contract/referential.ts';
import { DEFAULT_CONTRACT_OPTIONS, type ContractOptions } from '../../../src/contract/types.ts';
import type { Gateway, HTTPRoute, KubeObject, Listener } from '../../../src/kubernetes/objects.ts';

const P = 'toolhive.stacklok.dev/';
const EXPORTED = { [`${P}registry-export`]: 'true', [`${P}registry-description`]: 'GitHub MCP server' };

function gateway(namespace: string, name: string, listeners: Listener[]): Gateway {
  return { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name, namespace }, spec: { gatewayClassName: 'gc', listeners } };
}
function namespace(name: string, labels: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
}
function mcpServer(namespace: string, name: string, annotations: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'toolhive.stacklok.dev/v1alpha1', kind: 'MCPServer', metadata: { name, namespace, annotations }, spec: { transport: 'streamable-http' } };
}
function route(overrides: { namespace?: string; name?: string; annotations?: Record<string, string>; spec?: HTTPRoute['spec'] } = {}): HTTPRoute {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: overrides.name ?? 'github', namespace: overrides.namespace ?? 'team-a', annotations: overrides.annotations ?? EXPORTED },
    spec: overrides.spec ?? {
      parentRefs: [{ name: 'public', namespace: 'infra' }],
      rules: [{ backendRefs: [{ name: 'mcp-github-proxy', port: 8080 }] }],
    },
  };
}

function judge(object: KubeObject, others: KubeObject[], options: ContractOptions = DEFAULT_CONTRACT_OPTIONS) {
  const lookups = new ObjectIndex([object, ...others]);
  const judgement = judgeObject(object, { lookups, exports: buildExportIndex(lookups, options), options });
  return { errors: judgement.errors.map((f) => f.message), warnings: judgement.warnings.map((f) => f.message) };
}

const BASE = [mcpServer('team-a', 'github', { [`${P}registry-description`]: 'GitHub' }), namespace('team-a', { team: 'a' }), namespace('infra')];
const https = (allowedRoutes?: Listener['allowedRoutes'], extra: Partial<Listener> = {}): Listener => ({
  name: 'https',
  port: 443,
  protocol: 'HTTPS',
  ...(allowedRoutes ? { allowedRoutes } : {}),
  ...extra,
});

describe('check 1: parent attachment', () => {
  it.each<[string, Listener[], 'admit' | 'deny', string?]>([
    ['Same (default) from another namespace', [https()], 'deny', 'listener https only admits routes from namespace infra'],
    ['Same explicitly', [https({ namespaces: { from: 'Same' } })], 'deny', 'only admits routes from namespace infra'],
    ['All', [https({ namespaces: { from: 'All' } })], 'admit'],
    ['Selector matching the namespace labels', [https({ namespaces: { from: 'Selector', selector: { matchLabels: { team: 'a' } } } })], 'admit'],
    ['Selector with matchExpressions In', [https({ namespaces: { from: 'Selector', selector: { matchExpressions: [{ key: 'team', operator: 'In', values: ['a', 'b'] }] } } })], 'admit'],
    ['Selector not matching', [https({ namespaces: { from: 'Selector', selector: { matchLabels: { team: 'b' } } } })], 'deny', 'does not admit namespace team-a (label selector)'],
    ['kinds listing HTTPRoute', [https({ namespaces: { from: 'All' }, kinds: [{ kind: 'HTTPRoute' }] })], 'admit'],
    ['kinds without HTTPRoute', [https({ namespaces: { from: 'All' }, kinds: [{ kind: 'GRPCRoute' }] })], 'deny', 'does not admit HTTPRoute'],
    ['a TCP listener', [{ name: 'tcp', port: 9000, protocol: 'TCP', allowedRoutes: { namespaces: { from: 'All' } } }], 'deny', 'protocol TCP'],
    ['one of two listeners admits', [https(), { name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } }], 'admit'],
  ])('%s: %s', (_name, listeners, verdict, reason) => {
    const result = judge(route(), [...BASE, gateway('infra', 'public', listeners)]);
    if (verdict === 'admit') {
      expect(result.errors).toEqual([]);
    } else {
      expect(result.errors).toHaveLength(1);
      expect(result.errors[0]).toContain('HTTPRoute team-a/github: parentRef Gateway infra/public: no listener admits the route: ');
      expect(result.errors[0]).toContain(reason);
    }
  });

  it('sectionName and port select the listener that must admit', () => {
    const listeners = [https({ namespaces: { from: 'All' } }), { name: 'internal', port: 8443, protocol: 'HTTPS' }];
    const others = [...BASE, gateway('infra', 'public', listeners)];
    const bySection = (sectionName?: string, port?: number) =>
      judge(route({ spec: { parentRefs: [{ name: 'public', namespace: 'infra', sectionName, port }], rules: [] } }), others).errors;
    expect(bySection('https')).toEqual([]);
    expect(bySection(undefined, 443)).toEqual([]);
    expect(bySection('internal')[0]).toContain('listener internal only admits routes from namespace infra');
    expect(bySection(undefined, 8443)[0]).toContain('listener internal');
    expect(bySection('missing')[0]).toContain('parentRef Gateway infra/public section missing: the Gateway has no such listener (listeners: https:443, internal:8443)');
    expect(bySection('https', 8443)[0]).toContain('no such listener');
  });

  it('route hostnames must intersect the listener hostname', () => {
    const others = [...BASE, gateway('infra', 'public', [https({ namespaces: { from: 'All' } }, { hostname: '*.example.com' })])];
    const withHosts = (hostnames: string[]) =>
      judge(route({ spec: { parentRefs: [{ name: 'public', namespace: 'infra' }], hostnames, rules: [] } }), others).errors;
    expect(withHosts(['mcp.example.com'])).toEqual([]);
    expect(withHosts(['mcp.other.org', 'a.b.example.com'])).toEqual([]);
    expect(withHosts(['example.com'])[0]).toContain('hostname *.example.com matches none of the route\'s hostnames');
  });

  it('a same-namespace parent with the default allowedRoutes admits', () => {
    const others = [...BASE, gateway('team-a', 'local', [https()])];
    expect(judge(route({ spec: { parentRefs: [{ name: 'local' }], rules: [] } }), others).errors).toEqual([]);
  });

  it('an unknown Gateway, a ListenerSet parent and an unknown Namespace for a Selector give warnings', () => {
    const others = [mcpServer('team-a', 'github', { [`${P}registry-description`]: 'x' }), gateway('infra', 'sel', [https({ namespaces: { from: 'Selector', selector: { matchLabels: { a: 'b' } } } })])];
    const result = judge(
      route({
        spec: {
          parentRefs: [
            { name: 'later', namespace: 'infra' },
            { name: 'set', kind: 'ListenerSet', namespace: 'infra' },
            { name: 'sel', namespace: 'infra' },
            { name: 'mesh-svc', group: '', kind: 'Service' },
          ],
          rules: [],
        },
      }),
      others,
    );
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([
      'HTTPRoute team-a/github: parentRef Gateway infra/later: Gateway is not known (yet); attachment not checked',
      'HTTPRoute team-a/github: parentRef ListenerSet infra/set: ListenerSet parents are not supported in v1 and are not checked',
      'HTTPRoute team-a/github: parentRef Gateway infra/sel: no listener admits the route: listener https selects namespaces by label and Namespace team-a is not known',
    ]);
  });

  it('is skipped for objects that are not exported', () => {
    const notExported = route({ annotations: { [`${P}registry-export`]: 'false', [`${P}registry-tier`]: 'Official' } });
    expect(judge(notExported, [...BASE, gateway('infra', 'public', [https()])])).toEqual({ errors: [], warnings: [] });
  });

  it('--referential-checks=warn turns the denial into a warning', () => {
    const result = judge(route(), [...BASE, gateway('infra', 'public', [https()])], { ...DEFAULT_CONTRACT_OPTIONS, referentialChecks: 'warn' });
    expect(result.errors).toEqual([]);
    expect(result.warnings[0]).toContain('no listener admits the route');
  });
});

describe('check 2: cross-namespace backends need a ReferenceGrant', () => {
  const crossRoute = route({
    spec: { parentRefs: [], rules: [{ backendRefs: [{ name: 'mcp-github-proxy', namespace: 'tools', port: 8080 }] }] },
  });
  const grant = (from: object, to: object): KubeObject => ({
    apiVersion: 'gateway.networking.k8s.io/v1beta1',
    kind: 'ReferenceGrant',
    metadata: { name: 'g', namespace: 'tools' },
    spec: { from: [from], to: [to] },
  });
  const others = [mcpServer('tools', 'github', { [`${P}registry-description`]: 'x' })];
  const fromTeamA = { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'team-a' };

  it.each<[string, KubeObject[], boolean]>([
    ['no grant', [], false],
    ['a grant for all Services', [grant(fromTeamA, { group: '', kind: 'Service' })], true],
    ['a grant for this Service by name', [grant(fromTeamA, { group: '', kind: 'Service', name: 'mcp-github-proxy' })], true],
    ['a grant for another Service', [grant(fromTeamA, { group: '', kind: 'Service', name: 'other' })], false],
    ['a grant from another namespace', [grant({ ...fromTeamA, namespace: 'team-b' }, { group: '', kind: 'Service' })], false],
    ['a grant from GRPCRoutes', [grant({ ...fromTeamA, kind: 'GRPCRoute' }, { group: '', kind: 'Service' })], false],
  ])('%s', (_name, grants, admitted) => {
    const result = judge(crossRoute, [...others, ...grants]);
    if (admitted) expect(result.errors).toEqual([]);
    else expect(result.errors).toEqual([
      'HTTPRoute team-a/github: backendRef Service tools/mcp-github-proxy: no ReferenceGrant in namespace tools allows HTTPRoutes from namespace team-a to reach it',
    ]);
  });
});

describe('check 3: backends that bypass the proxy', () => {
  const routeTo = (service: string) => route({ spec: { parentRefs: [], rules: [{ backendRefs: [{ name: service, port: 8080 }] }] } });
  it.each([
    ['mcp-github', true],
    ['mcp-github-headless', true],
    ['mcp-github-proxy', false],
    ['mcp-unknown', false],
  ])('Service %s (not known) warns: %s', (service, warns) => {
    const { warnings } = judge(routeTo(service), BASE);
    expect(warnings.some((w) => w.includes('bypassing ToolHive\'s proxy'))).toBe(warns);
  });

  it('a known Service decides by its ownerReferences', () => {
    const owned = (name: string, ownerKind: string, ownerName: string): KubeObject => ({
      apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'team-a', ownerReferences: [{ kind: ownerKind, name: ownerName, controller: true }] },
    });
    expect(judge(routeTo('custom'), [...BASE, owned('custom', 'StatefulSet', 'github')]).warnings.join()).toContain('reaches MCPServer team-a/github directly');
    expect(judge(routeTo('mcp-github'), [...BASE, owned('mcp-github', 'MCPServer', 'github')]).warnings.join()).not.toContain('bypassing');
  });
});

describe('check 4: registry name ownership', () => {
  const named = (ns: string, name: string, registryName?: string) =>
    mcpServer(ns, name, { ...EXPORTED, [`${P}registry-url`]: `https://${name}.example.com/mcp`, ...(registryName ? { [`${P}registry-name`]: registryName } : {}) });

  it('denies an object whose final name another namespace already claims', () => {
    const mine = named('team-b', 'github', 'com.toolhive.k8s.team-a/github');
    const result = judge(mine, [named('team-a', 'github')]);
    expect(result.errors).toEqual([
      'MCPServer team-b/github: registry name com.toolhive.k8s.team-a/github belongs to namespace team-a (claimed by MCPServer team-a/github); namespace team-b may not publish under it',
    ]);
  });

  it('the same name in the same namespace, or distinct default names, do not conflict', () => {
    expect(judge(named('team-a', 'other', 'github'), [named('team-a', 'github')]).errors).toEqual([]);
    expect(judge(named('team-b', 'github'), [named('team-a', 'github')]).errors).toEqual([]);
  });

  it('a route in another namespace exporting an MCP resource under its default name claims nothing new', () => {
    const server = named('tools', 'github');
    const crossRoute = route({
      namespace: 'team-a',
      spec: { parentRefs: [], rules: [{ backendRefs: [{ name: 'mcp-github-proxy', namespace: 'tools' }] }] },
    });
    const grant: KubeObject = {
      apiVersion: 'gateway.networking.k8s.io/v1beta1', kind: 'ReferenceGrant', metadata: { name: 'g', namespace: 'tools' },
      spec: { from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'team-a' }], to: [{ group: '', kind: 'Service' }] },
    };
    expect(judge(crossRoute, [server, grant]).errors).toEqual([]);
  });

  it('route-only exports own their name in the route namespace', () => {
    const routeOnly = (ns: string) =>
      route({ namespace: ns, annotations: { ...EXPORTED, [`${P}registry-name`]: 'io.example/remote' }, spec: { parentRefs: [], rules: [{ backendRefs: [{ name: 'external' }] }] } });
    const result = judge(routeOnly('team-b'), [routeOnly('team-a')]);
    expect(result.errors[0]).toContain('registry name io.example/remote belongs to namespace team-a (claimed by HTTPRoute team-a/github)');
    expect(result.errors[0]).toMatch(/^HTTPRoute team-b\/github: /);
  });

  it('warn mode reports the conflict as a warning', () => {
    const result = judge(named('team-b', 'github', 'com.toolhive.k8s.team-a/github'), [named('team-a', 'github')], { ...DEFAULT_CONTRACT_OPTIONS, referentialChecks: 'warn' });
    expect(result.errors).toEqual([]);
    expect(result.warnings[0]).toContain('belongs to namespace team-a');
  });
});

describe('check 5: description available', () => {
  const bare = { [`${P}registry-export`]: 'true' };
  it('warns for an exported MCP resource without description and no describing route', () => {
    const server = mcpServer('team-a', 'github', { ...bare, [`${P}registry-url`]: 'https://x.example.com/mcp' });
    expect(judge(server, []).warnings).toEqual([
      'MCPServer team-a/github: has no registry-description (nor does its MCP resource or route); the publisher skips entries without a description',
    ]);
  });
  it('is satisfied by an exporting route with a description', () => {
    const server = mcpServer('team-a', 'github', { ...bare, [`${P}registry-url`]: 'https://x.example.com/mcp' });
    const describing = route({ spec: { parentRefs: [], rules: [{ backendRefs: [{ name: 'mcp-github-proxy' }] }] } });
    expect(judge(server, [describing]).warnings).toEqual([]);
  });
  it('a route without description is satisfied by its MCP resource', () => {
    const bareRoute = route({ annotations: bare, spec: { parentRefs: [], rules: [{ backendRefs: [{ name: 'mcp-github-proxy' }] }] } });
    expect(judge(bareRoute, BASE).warnings).toEqual([]);
    expect(judge(bareRoute, [mcpServer('team-a', 'github')]).warnings).toHaveLength(1);
  });
});

describe('referentialInputsUnchanged: what an UPDATE must leave alone for referential denials to become warnings', () => {
  const before = route({ annotations: { ...EXPORTED, 'other/note': 'a' } });
  const withMeta = (object: HTTPRoute, metadata: Partial<NonNullable<HTTPRoute['metadata']>>): HTTPRoute => ({ ...object, metadata: { ...object.metadata, ...metadata } });
  it.each<[string, HTTPRoute, boolean]>([
    ['an identical object', route({ annotations: { ...EXPORTED, 'other/note': 'a' } }), true],
    ['a removed finalizer and new labels', withMeta(before, { finalizers: [], labels: { a: 'b' }, resourceVersion: '9' } as never), true],
    ['a changed non-registry annotation', route({ annotations: { ...EXPORTED, 'other/note': 'b' } }), true],
    ['a changed status', { ...before, status: { parents: [] } } as HTTPRoute, true],
    ['a changed registry annotation', route({ annotations: { ...EXPORTED, 'other/note': 'a', [`${P}registry-description`]: 'other' } }), false],
    ['an added registry annotation', route({ annotations: { ...EXPORTED, 'other/note': 'a', [`${P}registry-name`]: 'x' } }), false],
    ['a removed registry annotation', route({ annotations: { [`${P}registry-export`]: 'true', 'other/note': 'a' } }), false],
    ['a changed parentRef', route({ annotations: before.metadata!.annotations!, spec: { parentRefs: [{ name: 'private', namespace: 'infra' }], rules: before.spec!.rules! } }), false],
    ['a changed backendRef', route({ annotations: before.metadata!.annotations!, spec: { parentRefs: before.spec!.parentRefs!, rules: [{ backendRefs: [{ name: 'x', namespace: 'tools', port: 8080 }] }] } }), false],
    ['a spec field added', route({ annotations: before.metadata!.annotations!, spec: { ...before.spec!, hostnames: ['a.example.com'] } }), false],
    ['another name', route({ annotations: before.metadata!.annotations!, name: 'other' }), false],
    ['another namespace', route({ annotations: before.metadata!.annotations!, namespace: 'team-b' }), false],
  ])('%s: %s', (_, after, unchanged) => {
    expect(referentialInputsUnchanged(before, after)).toBe(unchanged);
  });
});
