// Entries that match what clients get: ToolHive's real operator (v0.47.0, built from Go
// modules by scripts/build-toolhive-operator.sh) runs against a real kube-apiserver + etcd
// holding the operator's own 14 CRDs, and creates the proxy Services and status.url of an
// MCPServer, an MCPRemoteProxy and a VirtualMCPServer. Exported HTTPRoutes name those
// Services as the operator created them; `plan`, the webhook contract and the publisher
// (against the real upstream MCP registry) all see one entry per resource, reached
// through the Gateway.
//
// No kubelet runs here, so no Pod ever starts and the operator reports status.phase Pending.
// It computes that phase from Pods on every reconcile, and a status change alone triggers
// one, so a Ready written while it runs is taken back: the test stops it once it has
// created everything and then writes the phase a running operator with ready Pods would.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManifestObject } from '../../src/cli/manifests.ts';
import { validateObjects } from '../../src/cli/validate-command.ts';
import type { KubeObject } from '../../src/kubernetes/objects.ts';
import { plan } from '../../src/planner/plan.ts';
import type { ServerEntry } from '../../src/planner/server-entry.ts';
import type { ControlPlane } from '../support/control-plane.ts';
import { startInProcessPublisher, upstreamReader, type InProcessPublisher } from '../support/publisher-harness.ts';
import { acceptRoute, apply, baseObjects, eventually, kubectlOk, P } from '../support/publisher-cluster.ts';
import type { RegistryServer } from '../support/registry-server.ts';
import { startToolHiveOperator, toolhiveOperatorCrdDir, toolhiveVersion, type ToolHiveOperator } from '../support/toolhive-operator.ts';
import { startPublisherWorld, type PublisherWorld } from '../support/publisher-world.ts';

const NS = 'mcp-servers';
const OWNER = 'e2e-operator';
const NAME_PREFIX = 'com.toolhive.k8s.{namespace}';
const PLAN_OPTIONS = { namePrefix: NAME_PREFIX, flavor: 'upstream' as const, owner: OWNER };

/** Each MCP resource, the Service the operator gives it, and what the Gateway makes of it. */
const RESOURCES = [
  {
    kind: 'MCPServer',
    resource: 'mcpserver',
    name: 'github',
    service: 'mcp-github-proxy',
    port: 8080,
    statusUrl: `http://mcp-github-proxy.${NS}.svc.cluster.local:8080/mcp`,
    entry: `com.toolhive.k8s.${NS}/github`,
    version: 'v1.2.0',
    url: 'https://mcp.company.com/github/mcp',
  },
  {
    kind: 'MCPRemoteProxy',
    resource: 'mcpremoteproxy',
    name: 'weather',
    service: 'mcp-weather-remote-proxy',
    port: 8080,
    statusUrl: `http://mcp-weather-remote-proxy.${NS}.svc.cluster.local:8080`,
    entry: `com.toolhive.k8s.${NS}/weather`,
    version: '2.0.0',
    url: 'https://mcp.company.com/weather/mcp',
  },
  {
    kind: 'VirtualMCPServer',
    resource: 'virtualmcpserver',
    name: 'tools',
    service: 'vmcp-tools',
    port: 4483,
    statusUrl: `http://vmcp-tools.${NS}.svc.cluster.local:4483`,
    entry: `com.toolhive.k8s.${NS}/tools`,
    version: '1.0.0',
    url: 'https://mcp.company.com/tools/mcp',
  },
] as const;

const annotations = (description: string, extra: Record<string, string> = {}) =>
  Object.entries({ [`${P}registry-description`]: description, ...extra })
    .map(([key, value]) => `    ${key}: ${JSON.stringify(value)}`)
    .join('\n');

/** The ToolHive objects, in v1beta1 as the operator's CRDs store them. */
const toolhiveObjects = `apiVersion: toolhive.stacklok.dev/v1beta1
kind: MCPServer
metadata:
  name: github
  namespace: ${NS}
  annotations:
${annotations('GitHub MCP server')}
spec:
  image: ghcr.io/example/github-mcp-server:v1.2.0
  transport: streamable-http
---
apiVersion: toolhive.stacklok.dev/v1beta1
kind: MCPRemoteProxy
metadata:
  name: weather
  namespace: ${NS}
  annotations:
${annotations('Weather forecasts (remote MCP server behind ToolHive)', { [`${P}registry-version`]: '2.0.0' })}
spec:
  remoteUrl: https://weather.example.com/mcp
  transport: streamable-http
---
apiVersion: toolhive.stacklok.dev/v1beta1
kind: MCPGroup
metadata:
  name: tools
  namespace: ${NS}
spec:
  description: the servers the virtual MCP server aggregates
---
apiVersion: toolhive.stacklok.dev/v1beta1
kind: VirtualMCPServer
metadata:
  name: tools
  namespace: ${NS}
  annotations:
${annotations('All tools of the team, aggregated')}
spec:
  groupRef: {name: tools}
  incomingAuth: {type: anonymous}
`;

/** An exported HTTPRoute under /<path> whose backendRef is the Service as the operator named it. */
function route(name: string, service: string, port: number): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: ${name}
  namespace: ${NS}
  annotations:
    ${P}registry-export: "true"
spec:
  parentRefs: [{name: public, namespace: gateway-system}]
  rules:
    - matches: [{path: {type: PathPrefix, value: /${name}}}]
      filters:
        - type: URLRewrite
          urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}
      backendRefs: [{name: ${service}, port: ${port}}]
`;
}

let cluster: ControlPlane;
let registry: RegistryServer;
let operator: ToolHiveOperator | undefined;
let publisher: InProcessPublisher | undefined;
let tokenFile: string;
let world: PublisherWorld | undefined;

/** Everything the planner and the contract look at, as the API server returns it. */
async function clusterObjects(): Promise<KubeObject[]> {
  const kinds = [
    'namespaces',
    'services',
    'gatewayclasses.gateway.networking.k8s.io',
    'gateways.gateway.networking.k8s.io',
    'httproutes.gateway.networking.k8s.io',
    'mcpservers.toolhive.stacklok.dev',
    'mcpremoteproxies.toolhive.stacklok.dev',
    'virtualmcpservers.toolhive.stacklok.dev',
    'mcpserverentries.toolhive.stacklok.dev',
  ];
  const list = JSON.parse(await kubectlOk(cluster, ['get', kinds.join(','), '--all-namespaces', '-o', 'json'])) as { items: KubeObject[] };
  return list.items;
}

const summary = (entry: ServerEntry) => ({ name: entry.name, version: entry.version, description: entry.description, remotes: entry.remotes.map((r) => `${r.type} ${r.url}`) });
const expectedEntries = [...RESOURCES]
  .sort((a, b) => a.entry.localeCompare(b.entry))
  .map((r) => ({ name: r.entry, version: r.version, remotes: [`streamable-http ${r.url}`] }));

async function getJson(resource: string, name: string): Promise<any> {
  return JSON.parse(await kubectlOk(cluster, ['get', resource, name, '-n', NS, '-o', 'json']));
}

/** Writes status.phase through the status subresource, as the operator does. */
async function setPhase(resource: string, name: string, phase: string): Promise<void> {
  await kubectlOk(cluster, ['patch', resource, name, '-n', NS, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { phase } })]);
}

beforeAll(async () => {
  const crdDir = await toolhiveOperatorCrdDir();
  world = await startPublisherWorld('operator-e2e', { controlPlane: { toolhiveCrdDir: crdDir }, baseObjects: false });
  ({ cluster, registry, tokenFile } = world);
  operator = await startToolHiveOperator(cluster);
  await apply(cluster, baseObjects());
  await apply(cluster, toolhiveObjects);
  await apply(cluster, RESOURCES.map((r) => route(r.name, r.service, r.port)).join('---\n'));
  for (const r of RESOURCES) await acceptRoute(cluster, r.name);
}, 240_000);

afterAll(async () => {
  await publisher?.stop();
  await operator?.stop();
  await world?.stop();
});

describe(`ToolHive's operator ${toolhiveVersion()} and the entries clients get`, () => {
  it('the operator creates each proxy Service, owned by its resource, and writes status.url', async () => {
    for (const r of RESOURCES) {
      const service = await eventually(
        async () => {
          const got = await cluster.kubectl(['get', 'service', r.service, '-n', NS, '-o', 'json']);
          return got.code === 0 ? JSON.parse(got.stdout) : undefined;
        },
        60_000,
        `Service ${r.service} from the operator`,
      ).catch((error: Error) => {
        throw new Error(`${error.message}\noperator log:\n${operator?.log().slice(-4000)}`);
      });
      const resource = await getJson(r.resource, r.name);
      expect(service.metadata.ownerReferences).toEqual([
        expect.objectContaining({ apiVersion: 'toolhive.stacklok.dev/v1beta1', kind: r.kind, name: r.name, uid: resource.metadata.uid, controller: true }),
      ]);
      expect(service.spec.ports.map((p: { port: number }) => p.port)).toEqual([r.port]);
      const status = await eventually(async () => {
        const current = await getJson(r.resource, r.name);
        return current.status?.url ? current.status : undefined;
      }, 60_000, `status.url of ${r.kind} ${r.name}`);
      expect(status.url).toBe(r.statusUrl);
      // No Pod runs without a kubelet: the operator does not call them ready.
      expect(status.phase).toBe('Pending');
    }
  });

  it('a Ready written while the operator runs is taken back (it counts Pods, and none run here)', async () => {
    await setPhase('mcpserver', 'github', 'Ready');
    await eventually(async () => ((await getJson('mcpserver', 'github')).status?.phase === 'Pending' ? true : undefined), 30_000, 'the operator to report Pending again');
  });

  it('while the operator reports them not ready, every entry is planned but pending and nothing is published', async () => {
    const planned = plan(await clusterObjects(), PLAN_OPTIONS);
    expect(planned.entries.map(summary).map(({ description: _, ...rest }) => rest)).toEqual(expectedEntries);
    expect(planned.pending.map((p) => p.name)).toEqual(expectedEntries.map((e) => e.name));
    expect(planned.skipped).toEqual([]);

    publisher = await startInProcessPublisher({ cluster, registryUrl: registry.url, tokenFile, owner: OWNER });
    await eventually(async () => (publisher!.passes.length > 0 ? true : undefined), 20_000, 'the first pass');
    await publisher.publisher.reconciler.pass('test');
    expect(publisher.written()).toEqual([]);
    expect(await upstreamReader(registry.url).picture(...expectedEntries.map((e) => e.name))).toEqual([]);
  });

  it('once they are Ready, `plan` gives one entry per resource with its URL through the Gateway', async () => {
    await operator!.stop();
    operator = undefined;
    // What the operator would report with the Pods running.
    for (const r of RESOURCES) await setPhase(r.resource, r.name, 'Ready');
    const planned = plan(await clusterObjects(), PLAN_OPTIONS);
    expect(planned.entries.map(summary)).toEqual([
      { ...expectedEntries[0], description: 'GitHub MCP server' },
      { ...expectedEntries[1], description: 'All tools of the team, aggregated' },
      { ...expectedEntries[2], description: 'Weather forecasts (remote MCP server behind ToolHive)' },
    ]);
    expect(planned.pending).toEqual([]);
    expect(planned.skipped).toEqual([]);
    // The Services exist, so the planner went from each backendRef to the resource by the
    // Service's controller ownerReference (the operator's naming is only its fallback).
    expect(planned.warnings).toEqual([]);
  });

  it('the webhook contract allows every annotated object as the operator left it', async () => {
    const objects = await clusterObjects();
    const manifests: ManifestObject[] = objects.map((object) => ({ object, source: `${object.kind} ${object.metadata?.namespace}/${object.metadata?.name}` }));
    const results = validateObjects(manifests, { namePrefix: NAME_PREFIX, referentialChecks: 'deny', defaultNamespace: 'default' });
    expect(results.map((r) => `${r.kind} ${r.name}: ${r.allowed ? 'allowed' : r.errors.map((e) => e.message).join('; ')}`).sort()).toEqual(
      [...RESOURCES.map((r) => `${r.kind} ${r.name}: allowed`), ...RESOURCES.map((r) => `HTTPRoute ${r.name}: allowed`)].sort(),
    );
  });

  it('the publisher publishes exactly those entries to the real registry', async () => {
    const planned = plan(await clusterObjects(), PLAN_OPTIONS).entries;
    const reader = upstreamReader(registry.url);
    const names = planned.map((e) => e.name);
    await eventually(
      async () => ((await reader.picture(...names)).length === names.length ? true : undefined),
      30_000,
      'the three entries in the registry',
    );
    expect(await reader.picture(...names)).toEqual(planned.map((e) => `${e.name}@${e.version}:active`).sort());
    for (const entry of planned) {
      const held = await reader.latest(entry.name);
      expect({ name: held?.server.name, version: held?.server.version, description: held?.server.description, remotes: held?.server.remotes.map((r) => r.url) }).toEqual({
        name: entry.name,
        version: entry.version,
        description: entry.description,
        remotes: entry.remotes.map((r) => r.url),
      });
    }
    // Nothing else in the registry.
    const all = (await (await fetch(`${registry.url}/v0.1/servers?limit=100`)).json()) as { servers: { server: { name: string } }[] };
    expect(all.servers.map((s) => s.server.name).sort()).toEqual([...names].sort());
    expect(publisher!.passes.flatMap((p) => p.outcomes.filter((o) => o.result === 'failed'))).toEqual([]);
  });
});
