// Ready before published (publishing.md §4, discovery.md §10) end to end: a real
// kube-apiserver + etcd, the real kubectl, the real upstream registry (v1.8.9) and the
// ToolHive registry stand-in, read back over HTTP. It proves that an MCPServer whose
// status.phase is Failed is not published (the plan's `pending` names it); that once
// published, a Failed server is held, then deprecated after the hold grace (a status
// change with a statusMessage, never a new version) and activated when Ready again, the
// name keeping one version throughout; and that on the ToolHive flavor (no status API)
// nothing is written while it is not ready, with an EndpointNotReady Warning Event instead.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../support/control-plane.ts';
import { startInProcessPublisher, statusOf, upstreamReader, type InProcessPublisher } from '../support/publisher-harness.ts';
import { acceptRoute, apply, eventually, exportedRoute, kubectlOk, mcpServer } from '../support/publisher-cluster.ts';
import type { RegistryServer } from '../support/registry-server.ts';
import { startToolHiveStandIn, type ToolHiveStandIn } from '../support/toolhive-registry-stand-in.ts';
import { startPublisherWorld, type PublisherWorld } from '../support/publisher-world.ts';

const NS = 'mcp-servers';
const GRACE_MS = 3_000;
const NAME = 'com.toolhive.k8s.mcp-servers/github';

let cluster: ControlPlane;
let registry: RegistryServer;
let standIn: ToolHiveStandIn;
let world: PublisherWorld | undefined;
let tokenFile: string;

async function setPhase(name: string, phase: string): Promise<void> {
  await kubectlOk(cluster, ['patch', 'mcpserver', name, '-n', NS, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { phase } })]);
}

/** Waits until the publisher's own cache holds the phase (so the next step cannot overtake it). */
async function cacheSees(one: InProcessPublisher, name: string, phase: string): Promise<void> {
  await eventually(async () => ((one.cache.get('MCPServer', NS, name)?.status as { phase?: string } | undefined)?.phase === phase ? true : undefined), 10_000, `the cache seeing ${name} ${phase}`);
}

const writtenSince = (one: InProcessPublisher, from: number) => one.passes.slice(from).flatMap((p) => p.outcomes.filter((o) => o.result === 'written'));

beforeAll(async () => {
  [world, standIn] = await Promise.all([startPublisherWorld('readiness-e2e'), startToolHiveStandIn()]);
  ({ cluster, registry, tokenFile } = world);
}, 240_000);

afterAll(async () => {
  await Promise.all([world?.stop(), standIn?.close()]);
});

describe('readiness on the upstream registry', () => {
  let one: InProcessPublisher;
  const reader = () => upstreamReader(registry.url);
  let publishedVersion: string;

  beforeAll(async () => {
    one = await startInProcessPublisher({ cluster, registryUrl: registry.url, tokenFile, owner: 'readiness-e2e', config: { rules: { holdGraceMs: GRACE_MS } } });
  });
  afterAll(async () => {
    await one?.stop();
  });

  it('does not publish a Failed MCPServer behind an exported, accepted route; the plan lists it as pending', async () => {
    await apply(cluster, mcpServer('github', 'GitHub MCP server'));
    await setPhase('github', 'Failed');
    await cacheSees(one, 'github', 'Failed');
    const from = one.passes.length;
    await apply(cluster, exportedRoute('github', 'github'));
    await acceptRoute(cluster, 'github');
    // The pass that decided on it (an earlier one may have held it while a kind was not yet known for certain).
    const pass = await one.passWhere(from, (p) => p.rules?.notPublished.some((n) => n.name === NAME) === true, 'a pass that does not publish the name', 15_000);
    const pending = pass.plan.pending.find((p) => p.name === NAME);
    expect(pending?.objects).toEqual([{ kind: 'MCPServer', namespace: NS, name: 'github' }]);
    expect(pending?.reason).toMatch(/MCPServer mcp-servers\/github is Failed/);
    expect(pass.rules?.notPublished).toEqual([{ name: NAME, reason: pending!.reason }]);
    // Once more, to be sure nothing was waiting to go out.
    await one.publisher.reconciler.pass('test');
    expect(await reader().versionsOf(NAME)).toEqual([]);
    expect(writtenSince(one, 0)).toEqual([]);
    expect(one.requests.filter((r) => r.operation === 'publish' || r.operation === 'status')).toEqual([]);
  });

  it('publishes it once it is Ready', async () => {
    await setPhase('github', 'Ready');
    const entry = await eventually(() => reader().latest(NAME), 20_000, `${NAME} published`);
    publishedVersion = entry.server.version;
    expect(publishedVersion).toBe('v1.2.0');
    expect(await reader().picture(NAME)).toEqual([`${NAME}@v1.2.0:active`]);
  });

  it('Failed again: held (still active) within the grace, deprecated after it, never a new version', async () => {
    const from = one.passes.length;
    await setPhase('github', 'Failed');
    const held = await one.passWhere(from, (p) => p.newHolds.some((h) => h.name === NAME && h.category === 'not ready' && !h.expired), 'the not-ready hold', 15_000);
    const hold = held.newHolds.find((h) => h.name === NAME)!;
    expect(hold.reason).toMatch(/is Failed/);
    expect(held.outcomes.filter((o) => o.result === 'written')).toEqual([]);
    // Within the grace the registry still shows it active.
    const withinGrace = await reader().versionsOf(NAME);
    expect(withinGrace.map((v) => [v.server.version, statusOf(v)])).toEqual([[publishedVersion, 'active']]);
    expect(one.events.some((e) => e.reason === 'EndpointNotReady' && e.type === 'Warning' && e.regarding.kind === 'MCPServer' && e.regarding.name === 'github')).toBe(true);

    const deprecated = await eventually(async () => {
      const versions = await reader().versionsOf(NAME);
      return versions.length === 1 && statusOf(versions[0]!) === 'deprecated' ? versions[0] : undefined;
    }, 10_000, `${NAME} deprecated after the grace`);
    expect(deprecated.server.version).toBe(publishedVersion);
    const official = deprecated._meta['io.modelcontextprotocol.registry/official'];
    // v1.8.9 returns the statusMessage, and keeps a deprecated version listed and latest, flagged.
    expect(official.statusMessage).toBe('MCPServer mcp-servers/github is Failed');
    expect(official.isLatest).toBe(true);
    expect((await reader().latest(NAME))?.server.version).toBe(publishedVersion);
    // The only write since Failed: the deprecation, made only after the grace had passed.
    const writes = writtenSince(one, from);
    expect(writes.map((o) => `${o.write.kind} ${o.write.version}`)).toEqual([`deprecate ${publishedVersion}`]);
    const seconds = Number(/not ready for (\d+) s/.exec(writes[0]!.write.reason)?.[1]);
    expect(seconds).toBeGreaterThanOrEqual(GRACE_MS / 1000);
    expect(one.events.some((e) => e.reason === 'EndpointDeprecated' && e.regarding.name === 'github')).toBe(true);
  });

  it('Ready again: active again, the same version, no new version', async () => {
    const from = one.passes.length;
    await setPhase('github', 'Ready');
    await eventually(async () => ((await reader().picture(NAME)).join() === `${NAME}@${publishedVersion}:active` ? true : undefined), 10_000, `${NAME} active again`);
    expect((await reader().latest(NAME))?.server.version).toBe(publishedVersion);
    // A full re-read of the registry afterwards finds nothing left to do.
    await one.publisher.reconciler.resync();
    expect(writtenSince(one, from).map((o) => `${o.write.kind} ${o.write.version}`)).toEqual([`activate ${publishedVersion}`]);
    expect(await reader().picture(NAME)).toEqual([`${NAME}@${publishedVersion}:active`]);
    expect(one.passes.flatMap((p) => p.outcomes).filter((o) => o.result === 'failed')).toEqual([]);
  });
});

describe('readiness on the ToolHive registry flavor (no status API)', () => {
  const TOOLBOX = 'com.toolhive.k8s.mcp-servers/toolbox';
  let one: InProcessPublisher;
  const versions = (name: string) => [...(standIn.entries.get(name)?.versions.keys() ?? [])];
  const writesToStandIn = (from: number) => standIn.requests.slice(from).filter((r) => r.method !== 'GET');

  beforeAll(async () => {
    one = await startInProcessPublisher({ cluster, registryUrl: standIn.url, flavor: 'toolhive', owner: 'readiness-toolhive-e2e', config: { rules: { holdGraceMs: GRACE_MS } } });
  });
  afterAll(async () => {
    await one?.stop();
  });

  it('Failed after publishing writes nothing, past the grace too, and raises an EndpointNotReady Warning', async () => {
    await apply(cluster, mcpServer('toolbox', 'Toolbox MCP server'));
    await setPhase('toolbox', 'Ready');
    await cacheSees(one, 'toolbox', 'Ready');
    await apply(cluster, exportedRoute('toolbox', 'toolbox'));
    await acceptRoute(cluster, 'toolbox');
    await eventually(async () => (versions(TOOLBOX).length === 1 ? true : undefined), 20_000, `${TOOLBOX} in the stand-in`);
    expect(versions(TOOLBOX)).toEqual(['v1.2.0']);
    const stored = standIn.entries.get(TOOLBOX)!.versions.get('v1.2.0')!;

    const from = one.passes.length;
    const requestsFrom = standIn.requests.length;
    await setPhase('toolbox', 'Failed');
    const held = await one.passWhere(from, (p) => p.newHolds.some((h) => h.name === TOOLBOX && h.category === 'not ready' && !h.expired), 'the not-ready hold', 15_000);
    expect(held.newHolds.find((h) => h.name === TOOLBOX)!.reason).toMatch(/MCPServer mcp-servers\/toolbox is Failed/);
    // Past the grace: reported, still nothing written.
    await one.passWhere(from, (p) => p.newHolds.some((h) => h.name === TOOLBOX && h.category === 'not ready' && h.expired), 'the hold past its grace', 15_000);
    const notReady = one.events.filter((e) => e.reason === 'EndpointNotReady' && e.regarding.kind === 'MCPServer' && e.regarding.name === 'toolbox');
    expect(notReady.length).toBeGreaterThanOrEqual(2);
    expect(notReady.every((e) => e.type === 'Warning')).toBe(true);
    expect(notReady.some((e) => /past the hold grace/.test(e.note))).toBe(true);
    expect(writesToStandIn(requestsFrom)).toEqual([]);
    expect(writtenSince(one, from)).toEqual([]);
    expect(versions(TOOLBOX)).toEqual(['v1.2.0']);
    expect(standIn.entries.get(TOOLBOX)!.versions.get('v1.2.0')).toBe(stored);

    // Ready again: nothing to write either (the entry never changed).
    await setPhase('toolbox', 'Ready');
    await cacheSees(one, 'toolbox', 'Ready');
    await one.publisher.reconciler.resync();
    expect(writesToStandIn(requestsFrom)).toEqual([]);
    expect(writtenSince(one, from)).toEqual([]);
    expect(versions(TOOLBOX)).toEqual(['v1.2.0']);
    expect(one.passes.flatMap((p) => p.outcomes).filter((o) => o.result === 'failed')).toEqual([]);
  });
});
