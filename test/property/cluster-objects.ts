// Sets of cluster objects for property tests: Gateway API and ToolHive objects built from
// their official CRD schemas (shared/reference), Namespaces and Services beside them,
// registry annotations on top, and the planner options to plan them with.

import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import type { KubeObject } from '../../src/kubernetes/objects.ts';
import type { PlanOptions } from '../../src/planner/options.ts';
import { customResource, loadCrds, type ShapeOptions } from './crd-arbitrary.ts';

const P = 'toolhive.stacklok.dev/';
export const REFERENCE = fileURLToPath(new URL('../../../shared/reference/', import.meta.url));

export const CRDS = loadCrds([
  `${REFERENCE}gateway-api-crds/gateway.networking.k8s.io_gatewayclasses.yaml`,
  `${REFERENCE}gateway-api-crds/gateway.networking.k8s.io_gateways.yaml`,
  `${REFERENCE}gateway-api-crds/gateway.networking.k8s.io_httproutes.yaml`,
  `${REFERENCE}toolhive-crds/toolhive.stacklok.dev_mcpservers.yaml`,
  `${REFERENCE}toolhive-crds/toolhive.stacklok.dev_mcpremoteproxies.yaml`,
  `${REFERENCE}toolhive-crds/toolhive.stacklok.dev_virtualmcpservers.yaml`,
  `${REFERENCE}toolhive-crds/toolhive.stacklok.dev_mcptoolconfigs.yaml`,
  `${REFERENCE}toolhive-crds/toolhive.stacklok.dev_mcpserverentries.yaml`,
]);

const NAMESPACES = ['mcp', 'gateway-system', 'default', 'other'];
const NAMES = ['public', 'internal', 'github', 'docs', 'x'];
const HOSTS = ['*.company.com', 'mcp.company.com', 'docs.company.com', 'company.com', '*.example.com', 'localhost'];

// For string fields without a more specific vocabulary.
const VOCABULARY = {
  strings: [...NAMES, ...NAMESPACES, ...HOSTS, 'https', 'HTTPS', 'True', 'False', '/', '/mcp', 'a', '', '127.0.0.1', 'https://remote.example.com/mcp'],
  integers: [0, 1, 80, 443, 8080, 8443],
};

// By property name, so references find what they refer to: parentRefs name Gateways, a
// backendRef names the Service ToolHive makes for an MCP resource, hosts and listeners agree.
const FIELD_VOCABULARY: Record<string, readonly string[]> = {
  'parentRefs.name': ['public', 'public', 'public', 'internal', 'x'],
  'parentRef.name': ['public', 'internal'],
  'backendRefs.name': ['mcp-github-proxy', 'mcp-github-proxy', 'mcp-github-proxy', 'mcp-github-proxy', 'mcp-docs-remote-proxy', 'vmcp-x', 'github', 'mcp-x-proxy'],
  'backendRefs.namespace': ['mcp', 'mcp', 'mcp', 'other'],
  'parentRefs.namespace': ['gateway-system', 'gateway-system', 'mcp'],
  'listeners.name': ['https', 'http', 'internal'],
  name: ['public', 'internal', 'https', 'http', 'mcp-github-proxy', 'mcp-docs-remote-proxy', 'vmcp-x', 'github', 'docs', 'x'],
  namespace: NAMESPACES,
  sectionName: ['https', 'http', 'internal'],
  hostname: HOSTS,
  hostnames: HOSTS,
  protocol: ['HTTPS', 'HTTPS', 'HTTP', 'HTTP', 'TLS'],
  from: ['All', 'All', 'All', 'Same', 'Selector'],
  kind: ['Gateway', 'Service', 'HTTPRoute', 'ListenerSet', ''],
  group: ['gateway.networking.k8s.io', ''],
  type: ['PathPrefix', 'Exact', 'RegularExpression', 'URLRewrite', 'RequestRedirect', 'ReplacePrefixMatch', 'ReplaceFullPath', 'IPAddress', 'Hostname', 'Accepted', 'Programmed'],
  value: ['/', '/mcp', '/github', '/docs/', '203.0.113.7', 'gw.company.com', '127.0.0.1'],
  replacePrefixMatch: ['/', '/mcp', '/v1'],
  replaceFullPath: ['/mcp', '/'],
  transport: ['streamable-http', 'sse', 'stdio'],
  proxyMode: ['streamable-http', 'sse'],
  remoteUrl: ['https://remote.example.com/mcp', 'http://remote.example.com:8080/sse', 'https://remote.example.com/', 'https://localhost:8443/mcp', 'https://u:p@remote.example.com/mcp'],
  endpointPrefix: ['', '/mcp', '/x'],
  gatewayClassName: ['example', 'example', 'other'],
  controllerName: ['example.com/gateway-controller', 'other.org/x'],
  image: ['ghcr.io/github/github-mcp-server:v0.4.0', 'ghcr.io/x/y:latest', 'example/mcp:1.2.3'],
  status: ['True', 'False', 'Unknown'],
  reason: ['Accepted', 'NotAllowedByListeners', 'NoMatchingListenerHostname'],
  // Tool configuration (MCPToolConfig, and the toolConfigRef naming it): the tool names of the annotations.
  'toolConfigRef.name': ['github-tools', 'github-tools', 'x'],
  'spec.toolsFilter': ['search', 'fetch', 'find', 'a'],
  'toolsOverride.*key': ['search', 'fetch', 'a'],
  'toolsOverride.*.name': ['find', 'fetch', 'search', ''],
  'toolsOverride.*.description': ['Find things', ''],
};

const SHAPE: ShapeOptions = {
  vocabulary: VOCABULARY,
  // The most specific of `grandparent.parent.property`, `parent.property` and `property`.
  fieldVocabulary: (path) => {
    const parts = path.split('.');
    return FIELD_VOCABULARY[parts.slice(-3).join('.')] ?? FIELD_VOCABULARY[parts.slice(-2).join('.')] ?? FIELD_VOCABULARY[parts.at(-1) ?? ''];
  },
  // What routing is made of: present most of the time, wherever it sits.
  favoured: {
    rules: 0.9, backendRefs: 0.85, parentRefs: 0.9, listeners: 0.9, hostnames: 0.5, hostname: 0.5, matches: 0.5, path: 0.7, allowedRoutes: 0.8, 'allowedRoutes.namespaces': 0.9, 'namespaces.from': 0.95,
    namespaces: 0.6, remoteUrl: 0.9, addresses: 0.5, parents: 0.5, gatewayClassName: 0.95, controllerName: 0.95,
    filters: 0.15, 'listeners.hostname': 0.7, 'parentRefs.namespace': 0.7, 'parentRefs.port': 0.1, 'parentRefs.sectionName': 0.2, 'backendRefs.port': 0.8, 'listeners.port': 0.95, 'backendRefs.weight': 0.25,
    'spec.toolConfigRef': 0.5, toolsFilter: 0.6, toolsOverride: 0.6,
  },
  nonEmpty: new Set(['rules', 'backendRefs', 'parentRefs', 'listeners']),
  optionalAt0: 0.5,
  halfDepth: 1.5,
  maxDepth: 7,
  maxItems: 2,
};

/** A registry annotation value: mostly valid (normalized or not), sometimes not. */
function annotationValue(valid: readonly string[], invalid: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...valid) }, { weight: 1, arbitrary: fc.constantFrom(...invalid) });
}

const ROUTE_KEYS: Record<string, fc.Arbitrary<string>> = {
  'registry-name': annotationValue(['github', 'io.github.example/tools', 'docs', ' x1 '], ['a/b/c', '', '-x']),
  'registry-title': annotationValue(['GitHub', 'Docs'], ['']),
  'registry-tier': annotationValue(['Official', 'community'], ['Gold']),
  'registry-tags': annotationValue(['github,vcs', 'A1, b2,,a1'], ['-x']),
  'registry-tools': annotationValue(['search,fetch', 'a'], ['a b']),
  'registry-category': annotationValue(['vcs', 'DevTools'], ['X']),
  'registry-icon': annotationValue(['https://company.com/icon.png'], ['http://x/icon.png']),
  'registry-version': annotationValue(['1.2.3', 'v2.0.0-rc.1', '0.0.1'], ['1.x', 'latest']),
  'registry-transport': annotationValue(['streamable-http', 'sse', 'SSE'], ['grpc']),
};
const REGISTRY_URL = annotationValue(['https://remote.example.com/mcp', 'https://mcp.company.com/github', 'http://localhost:8080/mcp', ' https://x.example.com/sse '], ['ftp://x', 'not a url']);
const MCP_KEYS: Record<string, fc.Arbitrary<string>> = {
  ...Object.fromEntries(Object.entries(ROUTE_KEYS).filter(([key]) => key !== 'registry-transport')),
  tools: annotationValue(['["search","fetch"]'], ['[1]']),
  'tool-definitions': annotationValue(['[{"name":"search","description":"Search"}]'], ['[{}]']),
  'authz-claims': annotationValue(['{"groups":["dev"]}'], ['{"a":1}']),
};

function annotationsFor(route: boolean): fc.Arbitrary<Record<string, string>> {
  const keys = route ? ROUTE_KEYS : MCP_KEYS;
  const chosen = fc.subarray(Object.keys(keys), { minLength: 0, maxLength: 4 }).chain((picked) => fc.record(Object.fromEntries(picked.map((key) => [P + key, keys[key]!]))));
  return fc
    .record({
      exported: annotationValue(['true', 'TRUE', ' true'], ['false', 'yes']),
      description: fc.option(annotationValue(['GitHub tools', ' Docs for the team '], ['', 'x'.repeat(101)]), { freq: 5 }),
      url: route ? fc.constant(null) : fc.option(REGISTRY_URL, { freq: 3 }),
      chosen,
      // Now and then a key on the wrong kind.
      wrongKind: fc.oneof({ weight: 11, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom(...(route ? ['registry-url', 'tools'] : ['registry-transport'])) }),
    })
    .map(({ exported, description, url, chosen: rest, wrongKind }) => ({
      [`${P}registry-export`]: exported,
      ...(description === null ? {} : { [`${P}registry-description`]: description }),
      ...(url === null ? {} : { [`${P}registry-url`]: url }),
      ...rest,
      ...(wrongKind === null ? {} : { [P + wrongKind]: 'x' }),
    }));
}

function metadataFor(kind: string): fc.Arbitrary<Record<string, unknown>> {
  const registry = kind === 'HTTPRoute' || (kind.startsWith('MCP') && kind !== 'MCPToolConfig') || kind === 'VirtualMCPServer';
  // Mostly the names the others use for them, in few namespaces, so they meet.
  // An MCPServerEntry mostly shares its name with an MCPServer or MCPRemoteProxy, so their entries meet.
  const usual: Record<string, string> = { Gateway: 'public', MCPServer: 'github', MCPRemoteProxy: 'docs', VirtualMCPServer: 'x', MCPServerEntry: 'docs', GatewayClass: 'example', MCPToolConfig: 'github-tools' };
  const name = usual[kind] ? fc.oneof({ weight: 3, arbitrary: fc.constant(usual[kind]!) }, { weight: 1, arbitrary: fc.constantFrom(...NAMES) }) : fc.constantFrom(...NAMES);
  const namespace = fc.oneof({ weight: 4, arbitrary: fc.constant(kind === 'Gateway' ? 'gateway-system' : 'mcp') }, { weight: 1, arbitrary: fc.constantFrom(...NAMESPACES) });
  return fc.record(
    {
      name,
      // Now and then none: a manifest applied with -n.
      namespace: fc.oneof({ weight: 5, arbitrary: namespace }, { weight: 1, arbitrary: fc.constant(undefined) }),
      generation: fc.integer({ min: 1, max: 3 }),
      labels: fc.dictionary(fc.constantFrom('team', 'mcp-exports'), fc.constantFrom('a', 'allowed'), { maxKeys: 2 }),
      annotations: registry ? fc.oneof({ weight: 5, arbitrary: annotationsFor(kind === 'HTTPRoute') }, { weight: 1, arbitrary: fc.constant({}) }) : fc.constant({}),
    },
    { requiredKeys: ['name', 'namespace', 'annotations'] },
  ).map(({ namespace: ns, ...rest }) => (ns === undefined ? rest : { ...rest, namespace: ns }));
}

const crdObject = fc.oneof(
  ...CRDS.map((crd) => ({
    // The storage versions mostly, the others too; GatewayClasses least.
    weight: (crd.storage ? 3 : 1) * (crd.kind === 'MCPServer' || crd.kind === 'HTTPRoute' ? 3 : 2),
    arbitrary: customResource(crd, metadataFor(crd.kind), SHAPE),
  })),
);
const namespace = fc
  .record({ name: fc.constantFrom(...NAMESPACES), labels: fc.dictionary(fc.constantFrom('team', 'mcp-exports', 'kubernetes.io/metadata.name'), fc.constantFrom('a', 'allowed', 'mcp'), { maxKeys: 2 }) })
  .map((metadata) => ({ apiVersion: 'v1', kind: 'Namespace', metadata }));
// Services as ToolHive's operator makes them (owned by their MCP resource), or others.
const SERVICE_OWNERS: Record<string, [string, string]> = { 'mcp-github-proxy': ['MCPServer', 'github'], 'mcp-docs-remote-proxy': ['MCPRemoteProxy', 'docs'], 'vmcp-x': ['VirtualMCPServer', 'x'], 'mcp-github': ['StatefulSet', 'github'] };
const service = fc
  .record({ name: fc.constantFrom('mcp-github-proxy', 'mcp-docs-remote-proxy', 'vmcp-x', 'mcp-github', 'mcp-x-proxy'), namespace: fc.constantFrom(...NAMESPACES), owned: fc.boolean() })
  .map(({ name, namespace: ns, owned }) => {
    const owner = SERVICE_OWNERS[name];
    const ownerReferences = owned && owner ? [{ apiVersion: owner[0] === 'StatefulSet' ? 'apps/v1' : 'toolhive.stacklok.dev/v1beta1', kind: owner[0], name: owner[1], uid: 'u', controller: true }] : undefined;
    return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns, ...(ownerReferences ? { ownerReferences } : {}) }, spec: { ports: [{ port: 8080 }] } };
  });

type Loose = Record<string, any>;

/**
 * What the Gateway controller would have written: for the routes picked, an Accepted status
 * for each parentRef to a Gateway of the set whose GatewayClass names a controller (as the
 * schema has it: parentRef, controllerName, conditions with all their required fields).
 * Without it the planner rightly publishes no route, and its route walk would go untested.
 */
function withControllerStatus(input: readonly Loose[], accepted: readonly boolean[]): Loose[] {
  const find = (kind: string, namespace: string | undefined, name: unknown) =>
    input.find((object) => object.kind === kind && object.metadata?.name === name && (namespace === undefined || (object.metadata?.namespace ?? 'default') === namespace));
  return input.map((object, index) => {
    if (object.kind !== 'HTTPRoute' || !accepted[index % accepted.length] || !Array.isArray(object.spec?.parentRefs)) return object;
    const routeNamespace = object.metadata?.namespace ?? 'default';
    const parents = object.spec.parentRefs.flatMap((ref: Loose) => {
      const gateway = find('Gateway', ref.namespace ?? routeNamespace, ref.name);
      const controllerName = find('GatewayClass', undefined, gateway?.spec?.gatewayClassName)?.spec?.controllerName;
      if (!gateway || typeof controllerName !== 'string') return [];
      const condition = (type: string) => ({ type, status: 'True', reason: type, message: '', lastTransitionTime: '2025-01-01T00:00:00Z', observedGeneration: object.metadata?.generation ?? 1 });
      return [{ parentRef: ref, controllerName, conditions: [condition('Accepted'), condition('ResolvedRefs')] }];
    });
    return parents.length === 0 ? object : { ...object, status: { ...object.status, parents } };
  });
}

/** Objects of one kind, from the CRD's storage version. */
function ofKind(kind: string): fc.Arbitrary<Record<string, unknown>> {
  const crd = CRDS.find((candidate) => candidate.kind === kind && candidate.storage)!;
  return customResource(crd, metadataFor(kind), SHAPE);
}

// Most sets hold what a published route needs (a GatewayClass, a Gateway, an MCPServer, a
// route) and an MCPToolConfig, each of it built from its schema like the rest, which is
// anything at all.
const usualSuspects = fc.tuple(...['GatewayClass', 'Gateway', 'MCPServer', 'HTTPRoute', 'MCPToolConfig'].map((kind) => fc.option(ofKind(kind), { freq: 4 })));

const SERVICE_NAME: Record<string, (name: string) => string> = {
  MCPServer: (name) => `mcp-${name}-proxy`,
  MCPRemoteProxy: (name) => `mcp-${name}-remote-proxy`,
  VirtualMCPServer: (name) => `vmcp-${name}`,
};

/**
 * Points some of the references at objects of the set, the way a working cluster's are:
 * a linked route's parentRefs name the set's first Gateway, its first backendRef the Service
 * of one MCP resource (and the route moves to that resource's namespace), a second one that
 * of the next MCP resource (a traffic split); a linked Gateway
 * uses a GatewayClass of the set and admits routes from all namespaces; a linked
 * MCPToolConfig takes the name and namespace that one MCP resource's toolConfigRef names.
 * Every value set is one the schema allows; everything else stays as generated.
 */
function linked(input: readonly Loose[], links: readonly boolean[]): Loose[] {
  const gateway = input.find((object) => object.kind === 'Gateway');
  const gatewayClass = input.find((object) => object.kind === 'GatewayClass' && typeof object.spec?.controllerName === 'string');
  const resources = input.filter((object) => SERVICE_NAME[object.kind] && typeof object.metadata?.name === 'string');
  const configured = input.filter((object) => typeof object.spec?.toolConfigRef?.name === 'string');
  return input.map((object, index) => {
    if (!links[index % links.length]) return object;
    if (object.kind === 'MCPToolConfig' && configured.length > 0) {
      const resource = configured[index % configured.length]!;
      const { namespace: _namespace, ...metadata } = object.metadata;
      return { ...object, metadata: { ...metadata, name: resource.spec.toolConfigRef.name, ...(resource.metadata?.namespace ? { namespace: resource.metadata.namespace } : {}) } };
    }
    if (object.kind === 'Gateway' && object.spec) {
      const listeners = (object.spec.listeners ?? []).map((listener: Loose) => ({ ...listener, allowedRoutes: { ...listener.allowedRoutes, namespaces: { from: 'All' } } }));
      return { ...object, spec: { ...object.spec, ...(gatewayClass ? { gatewayClassName: gatewayClass.metadata.name } : {}), listeners } };
    }
    if (object.kind === 'HTTPRoute' && object.spec && gateway && resources.length > 0) {
      const resource = resources[index % resources.length]!;
      const service = SERVICE_NAME[resource.kind]!(resource.metadata.name);
      const parentRefs = [{ name: gateway.metadata.name, ...(gateway.metadata.namespace ? { namespace: gateway.metadata.namespace } : {}) }];
      const rules = (object.spec.rules ?? [{}]).map((rule: Loose) => ({
        ...rule,
        // A second backendRef names the next resource's Service: a traffic split (a canary).
        backendRefs: (rule.backendRefs?.length ? rule.backendRefs : [{}]).map((ref: Loose, refIndex: number) => {
          const { namespace: _namespace, kind: _kind, group: _group, ...rest } = ref;
          const other = resources[(index + refIndex) % resources.length]!;
          return { ...rest, name: refIndex === 0 ? service : SERVICE_NAME[other.kind]!(other.metadata.name) };
        }),
      }));
      const metadata = { ...object.metadata, ...(resource.metadata.namespace ? { namespace: resource.metadata.namespace } : {}) };
      return { ...object, metadata, spec: { ...object.spec, parentRefs, rules } };
    }
    return object;
  });
}

const mostly = fc.oneof({ weight: 7, arbitrary: fc.constant(true) }, { weight: 3, arbitrary: fc.constant(false) });

export const objects = fc
  .tuple(
    usualSuspects,
    fc.array(fc.oneof({ weight: 6, arbitrary: crdObject }, { weight: 1, arbitrary: namespace }, { weight: 1, arbitrary: service }), { minLength: 0, maxLength: 8 }),
    fc.array(mostly, { minLength: 1, maxLength: 10 }),
    fc.array(mostly, { minLength: 1, maxLength: 10 }),
  )
  .map(([suspects, others, links, accepted]) => withControllerStatus(linked([...suspects.filter((object) => object !== null), ...others] as Loose[], links), accepted))
  .filter((input) => input.length > 0) as fc.Arbitrary<KubeObject[]>;

export const options: fc.Arbitrary<Partial<PlanOptions>> = fc.record({
  flavor: fc.constantFrom('toolhive' as const, 'upstream' as const),
  namePrefix: fc.constantFrom('com.toolhive.k8s.{namespace}', 'com.toolhive.k8s.{namespace}', 'io.example.{namespace}', 'x'),
  defaultNamespace: fc.constantFrom('default', 'mcp'),
});
