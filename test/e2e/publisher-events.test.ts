// The publisher's Kubernetes Events (events.k8s.io/v1) against a real API server and the
// real registry: published, retired, a registry refusal, planner skips; one Event per
// distinct story, its series count raised on repeats instead of new Events per resync.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterCache } from '../../src/kubernetes/cluster-cache.ts';
import { EventRecorder } from '../../src/kubernetes/event-recorder.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { startPublisher, type RunningPublisher } from '../../src/publisher/publisher.ts';
import { createRegistryClient } from '../../src/registry/index.ts';
import { startControlPlane, type ControlPlane } from '../support/control-plane.ts';
import { acceptRoute, apply, baseObjects, eventually, exportedRoute, kubectlOk, mcpServer } from '../support/publisher-cluster.ts';
import { startRegistry, type RegistryServer } from '../support/registry-server.ts';

interface Event {
  metadata: { name: string };
  reason: string;
  type: string;
  note: string;
  action: string;
  reportingController: string;
  regarding: { kind: string; name: string; namespace: string; uid?: string; apiVersion: string };
  series?: { count: number };
}

let cluster: ControlPlane;
let registry: RegistryServer;
let dir: string;
let cache: ClusterCache;
let recorder: EventRecorder;
let publisher: RunningPublisher;

async function eventsAbout(kind: string, name: string): Promise<Event[]> {
  const out = await kubectlOk(cluster, ['get', 'events.events.k8s.io', '-n', 'mcp-servers', '-o', 'json']);
  return (JSON.parse(out).items as Event[]).filter((e) => e.regarding.kind === kind && e.regarding.name === name);
}

async function eventWith(kind: string, name: string, reason: string, what = `${reason} on ${kind} ${name}`): Promise<Event> {
  return eventually(async () => (await eventsAbout(kind, name)).find((e) => e.reason === reason), 15_000, what);
}

beforeAll(async () => {
  [cluster, registry] = await Promise.all([startControlPlane(), startRegistry()]);
  dir = mkdtempSync(join(tmpdir(), 'mcp-registry-export-events-'));
  const tokenFile = join(dir, 'token');
  // Allowed to publish github* only: "forbidden" is refused by the registry.
  writeFileSync(tokenFile, registry.mintToken([{ action: 'publish', resource: 'com.toolhive.k8s.mcp-servers/github*' }], 3600));
  await apply(cluster, baseObjects());
  cache = new ClusterCache({ kubeconfigPath: cluster.kubeconfigPath });
  cache.start();
  // Series updates at most every 200 ms, so a few resyncs show up as counts.
  recorder = new EventRecorder({ kubeConfig: cache.kubeConfig, reportingController: 'mcp-registry-export.dev/publisher', reportingInstance: 'e2e', lookups: cache, logger: silentLogger(), seriesIntervalMs: 200 });
  publisher = await startPublisher(
    { owner: 'events-e2e', namePrefix: 'com.toolhive.k8s.{namespace}', flavor: 'upstream', namespaces: [], resyncIntervalMs: 0, dryRun: false, debounceMs: 50 },
    silentLogger(),
    { cache, client: createRegistryClient({ url: registry.url, flavor: 'upstream', auth: { mode: 'token', tokenFile } }), events: recorder },
  );
}, 240_000);

afterAll(async () => {
  await publisher?.stop();
  await cache?.stop();
  await Promise.all([cluster?.stop(), registry?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Events about exported objects', () => {
  it('EndpointPublished on the route and the MCP server behind it, with the URL', async () => {
    await apply(cluster, mcpServer('github', 'GitHub MCP server'));
    await apply(cluster, exportedRoute('github', 'github'));
    await acceptRoute(cluster, 'github');
    const onRoute = await eventWith('HTTPRoute', 'github', 'EndpointPublished');
    expect(onRoute.type).toBe('Normal');
    expect(onRoute.action).toBe('Publish');
    expect(onRoute.reportingController).toBe('mcp-registry-export.dev/publisher');
    expect(onRoute.note).toBe('published com.toolhive.k8s.mcp-servers/github v1.2.0 at https://mcp.company.com/github/mcp');
    expect(onRoute.regarding.apiVersion).toBe('gateway.networking.k8s.io/v1');
    const uid = (await kubectlOk(cluster, ['get', 'httproute', 'github', '-n', 'mcp-servers', '-o', 'jsonpath={.metadata.uid}'])).trim();
    expect(onRoute.regarding.uid).toBe(uid);
    await eventWith('MCPServer', 'github', 'EndpointPublished');
    // kubectl describe shows it.
    expect(await kubectlOk(cluster, ['describe', 'httproute', 'github', '-n', 'mcp-servers'])).toContain('EndpointPublished');
  });

  it('PublishFailed (Warning) with the registry refusal in one line, then a series count instead of new Events', async () => {
    await apply(cluster, mcpServer('forbidden', 'Not ours to publish'));
    await apply(cluster, exportedRoute('forbidden', 'forbidden'));
    await acceptRoute(cluster, 'forbidden');
    const failed = await eventWith('HTTPRoute', 'forbidden', 'PublishFailed');
    expect(failed.type).toBe('Warning');
    expect(failed.note).toMatch(/^the registry refused publish com\.toolhive\.k8s\.mcp-servers\/forbidden v1\.2\.0: .*403/);
    expect(failed.note).not.toContain('\n');
    // Resyncs retry the refused write (a resync forgets refusals) and repeat the same story.
    for (let i = 0; i < 3; i++) {
      await publisher.reconciler.resync();
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    await recorder.flush();
    const repeated = await eventually(async () => {
      const events = (await eventsAbout('HTTPRoute', 'forbidden')).filter((e) => e.reason === 'PublishFailed');
      return events.length === 1 && (events[0]!.series?.count ?? 1) >= 2 ? events : undefined;
    }, 15_000, 'a series count on the one PublishFailed Event');
    expect(repeated).toHaveLength(1);
  });

  it('ExportSkipped (Warning) names the planner reason, once', async () => {
    // Exported but never accepted by the Gateway controller.
    await apply(cluster, mcpServer('pending', 'Pending MCP server'));
    await apply(cluster, exportedRoute('pending', 'pending'));
    const skipped = await eventWith('HTTPRoute', 'pending', 'ExportSkipped');
    expect(skipped.type).toBe('Warning');
    expect(skipped.note).toMatch(/^not exported: /);
    await publisher.reconciler.resync();
    await publisher.reconciler.resync();
    await recorder.flush();
    expect((await eventsAbout('HTTPRoute', 'pending')).filter((e) => e.reason === 'ExportSkipped')).toHaveLength(1);
  });

  it('EndpointRetired when the route goes away', async () => {
    await kubectlOk(cluster, ['delete', 'httproute', 'github', '-n', 'mcp-servers']);
    const retired = await eventWith('HTTPRoute', 'github', 'EndpointRetired');
    expect(retired.note).toMatch(/^retired com\.toolhive\.k8s\.mcp-servers\/github v1\.2\.0 \(no longer planned\)/);
    expect(recorder.stats.failed).toBe(0);
  });
});
