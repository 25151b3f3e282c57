// From an exported HTTPRoute through its Gateways to remote URLs (discovery.md sections 3 to
// 5), as one table in the manner of external-dns' Gateway source tests: several Gateways
// and listeners, sectionName and port, allowedRoutes, the route's status (controller,
// generation, conditions), wildcards on either side, addresses, ports and IPv6. Each case
// lists the URLs it must produce, and every skip and warning it must report.

import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/kubernetes/objects.ts';
import {
  acceptedBy,
  CONTROLLER,
  gateway,
  gatewayClass,
  http,
  https,
  mcpServer,
  namespace,
  planValid,
  PUBLIC,
  route,
  skipsOf,
  urlsOf,
  warningsOf,
} from './fixtures.ts';

interface Case {
  name: string;
  objects: KubeObject[];
  urls: string[];
  /** Each must occur in exactly one skip line; no other skips. */
  skips?: string[];
  /** Each must occur in exactly one warning; no other warnings. */
  warnings?: string[];
}

const server = mcpServer('mcp', 'github');
const INTERNAL = { name: 'internal', namespace: 'infra' };
const ROUTE = 'HTTPRoute mcp/github';

function base(listeners = [https()], addresses?: { type?: string; value?: string }[]): KubeObject[] {
  return [gatewayClass(), gateway({ listeners, ...(addresses ? { addresses } : {}) }), server];
}

const cases: Case[] = [
  // ---- parents and listeners ----
  { name: 'one Gateway, one listener', objects: [...base(), route()], urls: ['https://mcp.example.com/mcp'] },
  {
    name: 'several Gateways, in parentRefs order',
    objects: [...base(), gateway({ name: 'internal', listeners: [http()] }), route({ parentRefs: [INTERNAL, PUBLIC] })],
    urls: ['http://mcp.example.com/mcp', 'https://mcp.example.com/mcp'],
  },
  {
    name: 'several listeners, in the Gateway\'s listener order',
    objects: [...base([http(), https()]), route()],
    urls: ['http://mcp.example.com/mcp', 'https://mcp.example.com/mcp'],
  },
  {
    name: 'sectionName selects one listener',
    objects: [...base([http(), https()]), route({ parentRefs: [{ ...PUBLIC, sectionName: 'https' }] })],
    urls: ['https://mcp.example.com/mcp'],
  },
  {
    name: 'port selects one listener',
    objects: [...base([http(), https()]), route({ parentRefs: [{ ...PUBLIC, port: 80 }] })],
    urls: ['http://mcp.example.com/mcp'],
  },
  {
    name: 'sectionName of no listener',
    objects: [...base(), route({ parentRefs: [{ ...PUBLIC, sectionName: 'admin' }] })],
    urls: [],
    skips: [`${ROUTE}: Gateway infra/public section admin has no listener named admin`],
  },
  {
    name: 'sectionName and port that name different listeners',
    objects: [...base([http(), https()]), route({ parentRefs: [{ ...PUBLIC, sectionName: 'https', port: 80 }] })],
    urls: [],
    skips: ['has no listener named https on port 80'],
  },
  {
    name: 'allowedRoutes Same, route from another namespace',
    objects: [...base([https({ allowedRoutes: { namespaces: { from: 'Same' } } })]), route()],
    urls: [],
    skips: ['no listener of Gateway infra/public admits the route: listener https only admits routes from namespace infra'],
  },
  {
    name: 'allowedRoutes defaulted (Same), route from another namespace',
    objects: [...base([{ name: 'https', protocol: 'HTTPS', port: 443 }]), route()],
    urls: [],
    skips: ['only admits routes from namespace infra'],
  },
  {
    name: 'allowedRoutes Same, route in the Gateway\'s namespace',
    objects: [
      ...base([https({ allowedRoutes: { namespaces: { from: 'Same' } } })]),
      mcpServer('infra', 'github'),
      route({ namespace: 'infra' }),
    ],
    urls: ['https://mcp.example.com/mcp'],
  },
  {
    name: 'allowedRoutes Selector matching the Namespace\'s labels',
    objects: [
      ...base([https({ allowedRoutes: { namespaces: { from: 'Selector', selector: { matchLabels: { exposed: 'true' } } } } })]),
      namespace('mcp', { exposed: 'true' }),
      route(),
    ],
    urls: ['https://mcp.example.com/mcp'],
  },
  {
    name: 'allowedRoutes Selector not matching',
    objects: [
      ...base([https({ allowedRoutes: { namespaces: { from: 'Selector', selector: { matchLabels: { exposed: 'true' } } } } })]),
      namespace('mcp', { exposed: 'false' }),
      route(),
    ],
    urls: [],
    skips: ['listener https does not admit namespace mcp (label selector)'],
  },
  {
    name: 'allowedRoutes Selector, Namespace missing',
    objects: [...base([https({ allowedRoutes: { namespaces: { from: 'Selector', selector: { matchLabels: { exposed: 'true' } } } } })]), route()],
    urls: [],
    skips: ['listener https selects namespaces by label and Namespace mcp is not known'],
  },
  {
    name: 'allowedRoutes kinds listing HTTPRoute',
    objects: [...base([https({ allowedRoutes: { namespaces: { from: 'All' }, kinds: [{ kind: 'GRPCRoute' }, { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' }] } })]), route()],
    urls: ['https://mcp.example.com/mcp'],
  },
  {
    name: 'allowedRoutes kinds without HTTPRoute',
    objects: [...base([https({ allowedRoutes: { namespaces: { from: 'All' }, kinds: [{ kind: 'GRPCRoute' }] } })]), route()],
    urls: [],
    skips: ['listener https does not admit HTTPRoute (allowedRoutes.kinds)'],
  },
  {
    name: 'one listener admits, the other does not',
    objects: [...base([https({ name: 'internal', port: 8443, allowedRoutes: { namespaces: { from: 'Same' } } }), https()]), route()],
    urls: ['https://mcp.example.com/mcp'],
  },
  {
    name: 'a TLS listener is not a way in for an HTTPRoute',
    objects: [...base([{ name: 'tls', protocol: 'TLS', port: 443, allowedRoutes: { namespaces: { from: 'All' } } }]), route()],
    urls: [],
    skips: ['listener tls has protocol TLS, not HTTP or HTTPS'],
  },
  // ---- the route's status ----
  {
    name: 'status not accepted',
    objects: [
      ...base(),
      route({
        statusParents: [{
          parentRef: PUBLIC,
          controllerName: CONTROLLER,
          conditions: [{ type: 'Accepted', status: 'False', reason: 'NotAllowedByListeners', message: 'no listener\nallows it', observedGeneration: 1 }],
        }],
      }),
    ],
    urls: [],
    skips: [`${ROUTE}: Gateway infra/public has not accepted the route (Accepted=False: NotAllowedByListeners: no listener allows it)`],
  },
  {
    name: 'status without an Accepted condition',
    objects: [...base(), route({ statusParents: [{ parentRef: PUBLIC, controllerName: CONTROLLER, conditions: [] }] })],
    urls: [],
    skips: ['has not accepted the route (no Accepted condition)'],
  },
  {
    name: 'no status yet',
    objects: [...base(), route({ statusParents: [] })],
    urls: [],
    skips: ['Gateway infra/public has not reported on the route (no status.parents entry from example.com/gateway-controller)'],
  },
  {
    name: 'status from another controller than the GatewayClass\'s',
    objects: [...base(), route({ statusParents: [acceptedBy(PUBLIC, 1, 'other.example.com/mesh')] })],
    urls: [],
    skips: ['the status of Gateway infra/public comes from controller other.example.com/mesh, not from example.com/gateway-controller'],
  },
  {
    name: 'GatewayClass of another controller than the status says',
    objects: [gatewayClass('public', 'other.example.com/gateway'), gateway(), server, route()],
    urls: [],
    skips: ['comes from controller example.com/gateway-controller, not from other.example.com/gateway'],
  },
  {
    name: 'status for an older generation of the route',
    objects: [...base(), route({ generation: 3, statusParents: [acceptedBy(PUBLIC, 2)] })],
    urls: [],
    skips: ['Gateway infra/public accepted generation 2 of the route, not the current generation 3 (status is stale)'],
  },
  {
    name: 'status without observedGeneration still counts',
    objects: [...base(), route({ generation: 3, statusParents: [{ parentRef: PUBLIC, controllerName: CONTROLLER, conditions: [{ type: 'Accepted', status: 'True' }] }] })],
    urls: ['https://mcp.example.com/mcp'],
  },
  {
    name: 'ResolvedRefs False',
    objects: [
      ...base(),
      route({
        statusParents: [{
          parentRef: PUBLIC,
          controllerName: CONTROLLER,
          conditions: [{ type: 'Accepted', status: 'True', observedGeneration: 1 }, { type: 'ResolvedRefs', status: 'False', reason: 'RefNotPermitted' }],
        }],
      }),
    ],
    urls: [],
    skips: ['could not resolve the route\'s references (ResolvedRefs=False: RefNotPermitted)'],
  },
  {
    name: 'status for another section of the same Gateway does not count',
    objects: [...base(), route({ statusParents: [acceptedBy({ ...PUBLIC, sectionName: 'https' })] })],
    urls: [],
    skips: ['has not reported on the route'],
  },
  {
    name: 'defaults apply on both sides of the parentRef comparison',
    objects: [
      gatewayClass(),
      gateway({ namespace: 'mcp' }),
      server,
      route({
        parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public', namespace: 'mcp' }],
        statusParents: [acceptedBy({ name: 'public' })],
      }),
    ],
    urls: ['https://mcp.example.com/mcp'],
  },
  {
    name: 'Gateway not known',
    objects: [...base(), route({ parentRefs: [{ name: 'missing', namespace: 'infra' }] })],
    urls: [],
    skips: ['Gateway infra/missing is not known'],
  },
  {
    name: 'GatewayClass not known',
    objects: [gateway({ className: 'nope' }), server, route()],
    urls: [],
    skips: ['GatewayClass nope of Gateway infra/public is not known'],
  },
  {
    name: 'GatewayClass without controllerName',
    objects: [gatewayClass('public', null), gateway(), server, route()],
    urls: [],
    skips: ['GatewayClass public of Gateway infra/public has no spec.controllerName'],
  },
  {
    name: 'Gateway being deleted',
    objects: [gatewayClass(), gateway({ deleting: true }), server, route()],
    urls: [],
    skips: ['Gateway infra/public is being deleted'],
  },
  {
    name: 'ListenerSet parent',
    objects: [...base(), route({ parentRefs: [{ kind: 'ListenerSet', name: 'team', namespace: 'infra' }] })],
    urls: [],
    skips: ['ListenerSet infra/team: ListenerSet parents are not supported in v1'],
  },
  {
    name: 'only a Service parent (mesh routing)',
    objects: [...base(), route({ parentRefs: [{ group: '', kind: 'Service', name: 'mcp-github-proxy' }] })],
    urls: [],
    skips: ['no parentRef names a Gateway'],
  },
  {
    name: 'a Service parent beside a Gateway is ignored',
    objects: [...base(), route({ parentRefs: [{ group: '', kind: 'Service', name: 'mcp-github-proxy' }, PUBLIC] })],
    urls: ['https://mcp.example.com/mcp'],
  },
  {
    name: 'no parentRefs',
    objects: [...base(), route({ parentRefs: [] })],
    urls: [],
    skips: ['the route has no parentRefs'],
  },
  {
    name: 'two parents, one has not accepted: the other publishes, with a warning',
    objects: [
      ...base(),
      gateway({ name: 'internal', listeners: [http()] }),
      route({ parentRefs: [INTERNAL, PUBLIC], statusParents: [acceptedBy(PUBLIC)] }),
    ],
    urls: ['https://mcp.example.com/mcp'],
    warnings: [`${ROUTE}: no remote through it: Gateway infra/internal has not reported on the route`],
  },
  // ---- hosts ----
  {
    name: 'wildcard in the listener',
    objects: [...base([https({ hostname: '*.example.com' })]), route()],
    urls: ['https://mcp.example.com/mcp'],
  },
  {
    name: 'wildcard in the listener, route host several labels deeper',
    objects: [...base([https({ hostname: '*.example.com' })]), route({ hostnames: ['mcp.tools.example.com'] })],
    urls: ['https://mcp.tools.example.com/mcp'],
  },
  {
    name: 'wildcard in the listener does not match its own suffix',
    objects: [...base([https({ hostname: '*.example.com' })]), route({ hostnames: ['example.com'] })],
    urls: [],
    skips: ['listener https hostname *.example.com matches none of the route\'s hostnames'],
  },
  {
    name: 'wildcard in the route, concrete listener hostname',
    objects: [...base([https({ hostname: 'mcp.example.com' })]), route({ hostnames: ['*.example.com'] })],
    urls: ['https://mcp.example.com/mcp'],
  },
  {
    name: 'wildcard in the route, a Hostname address of the Gateway matches it',
    objects: [...base([https()], [{ type: 'IPAddress', value: '203.0.113.10' }, { type: 'Hostname', value: 'LB.Example.com' }]), route({ hostnames: ['*.example.com'] })],
    urls: ['https://lb.example.com/mcp'],
  },
  {
    name: 'wildcard in the route, no Hostname address matches',
    objects: [...base([https()], [{ type: 'Hostname', value: 'lb.other.net' }]), route({ hostnames: ['*.example.com'] })],
    urls: [],
    skips: ['no concrete hostname for *.example.com'],
  },
  {
    name: 'wildcard in route and listener: the more specific one, then the address',
    objects: [
      ...base([https({ hostname: '*.example.com' })], [{ type: 'Hostname', value: 'gw.apps.example.com' }]),
      route({ hostnames: ['*.apps.example.com'] }),
    ],
    urls: ['https://gw.apps.example.com/mcp'],
  },
  {
    name: 'route without hostnames takes the listener\'s hostname',
    objects: [...base([https({ hostname: 'mcp.example.com' })]), route({ hostnames: [] })],
    urls: ['https://mcp.example.com/mcp'],
  },
  {
    name: 'route without hostnames, wildcard listener, matching Hostname address',
    objects: [...base([https({ hostname: '*.example.com' })], [{ type: 'Hostname', value: 'gw.example.com' }]), route({ hostnames: [] })],
    urls: ['https://gw.example.com/mcp'],
  },
  {
    name: 'route without hostnames, wildcard listener, only an IP address',
    objects: [...base([https({ hostname: '*.example.com' })]), route({ hostnames: [] })],
    urls: [],
    skips: ['no concrete hostname for *.example.com'],
  },
  {
    name: 'no hostname on either side: a Hostname address comes before an IP',
    objects: [...base([https()], [{ type: 'IPAddress', value: '203.0.113.10' }, { type: 'Hostname', value: 'gw.example.com' }]), route({ hostnames: [] })],
    urls: ['https://gw.example.com/mcp'],
  },
  {
    name: 'no hostname on either side, only an IP address: published with a warning',
    objects: [...base([https()], [{ type: 'IPAddress', value: '203.0.113.10' }]), route({ hostnames: [] })],
    urls: ['https://203.0.113.10/mcp'],
    warnings: ['uses the IP address 203.0.113.10 of Gateway infra/public; TLS clients usually need a name'],
  },
  {
    name: 'an address without type is an IP address',
    objects: [...base([http()], [{ value: '198.51.100.7' }]), route({ hostnames: [] })],
    urls: ['http://198.51.100.7/mcp'],
    warnings: ['uses the IP address 198.51.100.7'],
  },
  {
    name: 'Gateway without addresses yet',
    objects: [...base([https()], []), route({ hostnames: [] })],
    urls: [],
    skips: ['listener https of Gateway infra/public: Gateway infra/public has no address yet'],
  },
  {
    name: 'IPv6 address in brackets',
    objects: [...base([https()], [{ type: 'IPAddress', value: '2001:DB8:0:0::1' }]), route({ hostnames: [] })],
    urls: ['https://[2001:db8::1]/mcp'],
    warnings: ['uses the IP address 2001:db8:0:0::1'],
  },
  {
    name: 'IPv6 address on a non-default port',
    objects: [...base([http({ port: 8080 })], [{ type: 'IPAddress', value: '2001:db8::1' }]), route({ hostnames: [] })],
    urls: ['http://[2001:db8::1]:8080/mcp'],
    warnings: ['uses the IP address 2001:db8::1'],
  },
  {
    name: 'https on a non-default port',
    objects: [...base([https({ port: 8443 })]), route()],
    urls: ['https://mcp.example.com:8443/mcp'],
  },
  {
    name: 'http on port 443 keeps the port',
    objects: [...base([http({ port: 443 })]), route()],
    urls: ['http://mcp.example.com:443/mcp'],
  },
  {
    name: 'several route hostnames, in spec.hostnames order',
    objects: [...base(), route({ hostnames: ['b.example.com', 'a.example.com'] })],
    urls: ['https://b.example.com/mcp', 'https://a.example.com/mcp'],
  },
  {
    name: 'a wildcard host without an address beside a concrete one: the concrete one publishes',
    objects: [...base(), route({ hostnames: ['*.example.com', 'mcp.example.com'] })],
    urls: ['https://mcp.example.com/mcp'],
    warnings: ['no remote through it: listener https of Gateway infra/public: no concrete hostname for *.example.com'],
  },
];

function expectLines(actual: string[], expected: string[] = [], what: string): void {
  for (const fragment of expected) {
    expect(actual.filter((line) => line.includes(fragment)), `${what} containing "${fragment}" in ${JSON.stringify(actual)}`).toHaveLength(1);
  }
  expect(actual, `no other ${what}`).toHaveLength(expected.length);
}

describe('Gateway walk: parents, listeners, hosts and ports', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_, testCase) => {
    const result = planValid(testCase.objects);
    expect(urlsOf(result)).toEqual(testCase.urls);
    expectLines(skipsOf(result), testCase.skips, 'skips');
    expectLines(warningsOf(result), testCase.warnings, 'warnings');
  });
});

describe('manifests without metadata.namespace', () => {
  it('are all in the default namespace of the input, Gateways included (allowedRoutes Same)', () => {
    const objects = [gatewayClass(), gateway({ namespace: '', listeners: [https({ allowedRoutes: { namespaces: { from: 'Same' } } })] }), mcpServer('', 'github'), route({ namespace: '', parentRefs: [{ name: 'public' }] })];
    for (const object of objects) delete object.metadata!.namespace;
    const result = planValid(objects, { defaultNamespace: 'tools' });
    expect(skipsOf(result)).toEqual([]);
    expect(result.entries.map((entry) => [entry.name, urlsOf({ ...result, entries: [entry] })])).toEqual([['com.toolhive.k8s.tools/github', ['https://mcp.example.com/mcp']]]);
  });
});
