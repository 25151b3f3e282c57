// Whose entries these are, and how much a pass may take away (shared/spec/publishing.md §2,
// §3), end to end: a real kube-apiserver + etcd, the real upstream registry (v1.8.9), real
// kubectl, in-process publishers (test/support/publisher-harness.ts); every case reads the
// registry's versions back over HTTP. It proves that
//   1. two installations of one owner (one unscoped, one --namespace team-b) write each name
//      once, whoever published it first keeps it, the other reports a NameConflict and
//      neither retires nor republishes the other's names over several resyncs;
//   2. narrowing an installation's --namespace retires nothing of the dropped namespace
//      (yet it still retires in the namespaces it keeps);
//   3. a pass that would retire 7 of 8 names retires none (MassRetireRefused on the
//      installation object) but still publishes its new name; --allow-mass-retire retires;
//   4. --policy upsert-only never retires a name, create-only never updates one;
//   5. --adopt-owner leaves an adopted entry as it is until its next change, then rewrites
//      it with our owner and installation and retires the old version.
// Each case has its own owner and namespaces, so the cases do not see each other's names.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAdoptedOwner } from '../../src/diff/identity.ts';
import { OWNERSHIP_KEY, PUBLISHER_PROVIDED_KEY } from '../../src/planner/server-entry.ts';
import type { PublisherConfig } from '../../src/publisher/publisher.ts';
import type { ControlPlane } from '../support/control-plane.ts';
import { acceptRoute, apply, eventually, kubectlOk, P } from '../support/publisher-cluster.ts';
import { startInProcessPublisher, statusOf, upstreamReader, type HeldVersion, type InProcessPublisher } from '../support/publisher-harness.ts';
import type { RegistryServer } from '../support/registry-server.ts';
import { startPublisherWorld, type PublisherWorld } from '../support/publisher-world.ts';

let cluster: ControlPlane;
let registry: RegistryServer;
let reader: ReturnType<typeof upstreamReader>;
let world: PublisherWorld | undefined;
let tokenFile: string;
const running = new Set<InProcessPublisher>();

const RESYNC_MS = 1_200;
const nameOf = (namespace: string, name: string) => `com.toolhive.k8s.${namespace}/${name}`;

/** A route-only export (no MCP resource behind it): registry-name + registry-description. */
function route(namespace: string, name: string, description: string): string {
  const annotations = { [`${P}registry-export`]: 'true', [`${P}registry-name`]: name, [`${P}registry-description`]: description };
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: ${name}
  namespace: ${namespace}
  annotations:
${Object.entries(annotations)
  .map(([key, value]) => `    ${key}: ${JSON.stringify(value)}`)
  .join('\n')}
spec:
  parentRefs: [{name: public, namespace: gateway-system}]
  rules:
    - matches: [{path: {type: PathPrefix, value: /${namespace}-${name}}}]
      backendRefs: [{name: svc-${name}, port: 8080}]
`;
}

/** Namespaces and accepted route-only exports in them, in one apply. */
async function exportRoutes(routes: { namespace: string; name: string; description?: string }[]): Promise<void> {
  const namespaces = [...new Set(routes.map((r) => r.namespace))].map((ns) => `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${ns}}\n`);
  await apply(cluster, [...namespaces, ...routes.map((r) => route(r.namespace, r.name, r.description ?? `The ${r.name} server`))].join('---\n'));
  for (const r of routes) await acceptRoute(cluster, r.name, r.namespace);
}

async function startOne(owner: string, config: Partial<PublisherConfig>): Promise<InProcessPublisher> {
  const one = await startInProcessPublisher({ cluster, registryUrl: registry.url, tokenFile, owner, config: { resyncIntervalMs: RESYNC_MS, ...config } });
  running.add(one);
  return one;
}

async function stopOne(one: InProcessPublisher): Promise<void> {
  running.delete(one);
  await one.stop();
}

/** Waits until the publisher has run `count` more resync passes than it has now. */
async function resyncs(one: InProcessPublisher, count: number): Promise<void> {
  const target = one.passes.filter((p) => p.trigger === 'resync').length + count;
  await eventually(async () => (one.passes.filter((p) => p.trigger === 'resync').length >= target ? true : undefined), count * RESYNC_MS + 30_000, `${count} resync passes`);
}

/** Registry requests that write (publish a version, change a status). */
const writeRequests = (one: InProcessPublisher) => one.requests.filter((r) => r.operation === 'publish' || r.operation === 'status').length;

const recordOf = (version: HeldVersion) => (version.server._meta?.[PUBLISHER_PROVIDED_KEY] as Record<string, { owner?: string; installation?: string }> | undefined)?.[OWNERSHIP_KEY];

/** name -> [version:status, ...] for the names, or undefined while any of them has no version yet. */
async function allPublished(names: string[]): Promise<Map<string, HeldVersion[]> | undefined> {
  const held = new Map<string, HeldVersion[]>();
  for (const name of names) {
    const versions = await reader.versionsOf(name);
    if (versions.length === 0) return undefined;
    held.set(name, versions);
  }
  return held;
}

async function isActive(name: string, version: string): Promise<boolean> {
  const held = (await reader.versionsOf(name)).find((v) => v.server.version === version);
  return held !== undefined && statusOf(held) === 'active';
}

beforeAll(async () => {
  world = await startPublisherWorld('ownership');
  ({ cluster, registry, tokenFile } = world);
  reader = upstreamReader(registry.url);
}, 240_000);

afterAll(async () => {
  await Promise.all([...running].map((one) => one.stop()));
  await world?.stop();
});

describe('whose entries these are, and how much a pass may take away', { timeout: 90_000 }, () => {
  it('two installations of one owner: each name written once, the other installation reports a conflict and never fights', async () => {
    const owner = 'e2e-two-installations';
    const A = 'mcp-system/a';
    const B = 'gw/b';
    const teamA = ['a1', 'a2'];
    const teamB = ['b1', 'b2', 'b3'];
    await exportRoutes([...teamA.map((name) => ({ namespace: 'team-a', name })), ...teamB.map((name) => ({ namespace: 'team-b', name }))]);
    const names = [...teamA.map((n) => nameOf('team-a', n)), ...teamB.map((n) => nameOf('team-b', n))];

    // Started together: both plan team-b's names, the first to publish one keeps it.
    const [a, b] = await Promise.all([startOne(owner, { installation: A, namespaces: [] }), startOne(owner, { installation: B, namespaces: ['team-b'] })]);
    const held = await eventually(() => allPublished(names), 30_000, 'every name published');

    // Each name exactly once (one version, active), recorded by one installation.
    const winner = new Map<string, string>();
    for (const [name, versions] of held) {
      expect(versions.map((v) => `${v.server.version}:${statusOf(v)}`), name).toEqual(['1.0.0:active']);
      const record = recordOf(versions[0]!);
      expect(record?.owner).toBe(owner);
      winner.set(name, record!.installation!);
    }
    for (const n of teamA) expect(winner.get(nameOf('team-a', n))).toBe(A);
    for (const n of teamB) expect([A, B]).toContain(winner.get(nameOf('team-b', n)));

    // For each team-b name, the installation that did not get it reports a NameConflict on
    // the route, naming the installation that holds it.
    for (const n of teamB) {
      const name = nameOf('team-b', n);
      const loser = winner.get(name) === A ? b : a;
      await eventually(
        async () =>
          loser.events.find(
            (e) => e.reason === 'NameConflict' && e.regarding.kind === 'HTTPRoute' && e.regarding.namespace === 'team-b' && e.regarding.name === n && e.note.includes(`belongs to installation ${winner.get(name)} of this owner`),
          ),
        20_000,
        `NameConflict about ${name}`,
      );
    }
    // The scoped installation never hears of team-a.
    expect(b.events.filter((e) => e.regarding.namespace === 'team-a')).toEqual([]);

    // Settled: over several resyncs of both, nothing is written, retired or republished.
    const before = await reader.picture(...names);
    const writesBefore = [writeRequests(a), writeRequests(b)];
    await Promise.all([resyncs(a, 3), resyncs(b, 3)]);
    expect(await reader.picture(...names)).toEqual(before);
    expect([writeRequests(a), writeRequests(b)]).toEqual(writesBefore);
    // Neither ever retired anything, and each wrote only the names it holds.
    for (const [one, installation] of [
      [a, A],
      [b, B],
    ] as const) {
      for (const outcome of one.written()) {
        expect(outcome.write.kind, `${installation}: ${outcome.write.kind} ${outcome.write.name}`).toBe('publish');
        expect(winner.get(outcome.write.name)).toBe(installation);
      }
    }
    // The conflicts are still reported at the latest resync: reported, not fought, not forgotten.
    for (const [one, installation] of [
      [a, A],
      [b, B],
    ] as const) {
      const lost = teamB.map((n) => nameOf('team-b', n)).filter((name) => winner.get(name) !== installation);
      const last = one.passes.filter((p) => p.trigger === 'resync').at(-1)!;
      expect(last.diff!.conflicts.map((c) => c.name).sort()).toEqual(lost.sort());
      expect(last.rules!.withheld).toEqual([]);
    }
    await Promise.all([stopOne(a), stopOne(b)]);
  });

  it('narrowing an installation to fewer namespaces retires nothing of the namespace it dropped', async () => {
    const owner = 'e2e-narrowing';
    const config = { installation: 'mcp-system/n' };
    await exportRoutes([
      { namespace: 'narrow-a', name: 'na1' },
      { namespace: 'narrow-a', name: 'na2' },
      { namespace: 'narrow-b', name: 'nb1' },
      { namespace: 'narrow-b', name: 'nb2' },
    ]);
    const kept = [nameOf('narrow-b', 'nb1'), nameOf('narrow-b', 'nb2')];
    const names = [nameOf('narrow-a', 'na1'), nameOf('narrow-a', 'na2'), ...kept];
    let one = await startOne(owner, { ...config, namespaces: ['narrow-a', 'narrow-b'] });
    await eventually(async () => ((await reader.picture(...names)).length === 4 ? true : undefined), 30_000, 'all four published');
    await stopOne(one);
    const before = await reader.picture(...names);
    expect(before).toEqual(names.map((n) => `${n}@1.0.0:active`).sort());

    // Restarted with --namespace narrow-a: narrow-b's names are no longer planned, but their
    // objects lie outside what it watches, so their retires are withheld.
    one = await startOne(owner, { ...config, namespaces: ['narrow-a'] });
    await eventually(
      async () => (one.passes.some((p) => (p.rules?.withheld ?? []).filter((w) => w.rule === 'namespace scope' && w.write.kind === 'retire').map((w) => w.write.name).sort().join() === kept.join()) ? true : undefined),
      20_000,
      "narrow-b's retires withheld by the namespace scope",
    );
    await resyncs(one, 2);
    expect(await reader.picture(...names)).toEqual(before);
    expect(writeRequests(one)).toBe(0);

    // It still retires in the namespaces it watches.
    await kubectlOk(cluster, ['delete', 'httproute', 'na2', '-n', 'narrow-a']);
    await eventually(async () => ((await isActive(nameOf('narrow-a', 'na2'), '1.0.0')) ? undefined : true), 20_000, 'na2 retired');
    await resyncs(one, 1);
    expect(await reader.picture(...names)).toEqual(before.map((line) => (line.startsWith(`${nameOf('narrow-a', 'na2')}@`) ? line.replace(':active', ':deleted') : line)));
    expect(one.written().map((o) => `${o.write.kind} ${o.write.name}`)).toEqual([`retire ${nameOf('narrow-a', 'na2')}`]);
    await stopOne(one);
  });

  it('a pass that would retire 7 of 8 names retires none, raises MassRetireRefused, still publishes its new name; --allow-mass-retire retires them', async () => {
    const owner = 'e2e-mass-retire';
    const installationObject = { apiVersion: 'v1', kind: 'Pod', namespace: 'mcp-system', name: 'mcp-registry-export-7d9f-abcde' };
    const config = { installation: 'mcp-system/mass', namespaces: ['mass'], installationObject };
    const all = ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8'];
    const gone = all.slice(0, 7);
    await exportRoutes(all.map((name) => ({ namespace: 'mass', name })));
    let one = await startOne(owner, config);
    await eventually(async () => ((await reader.picture(...all.map((n) => nameOf('mass', n)))).length === 8 ? true : undefined), 30_000, 'all eight published');
    await stopOne(one);

    // Seven routes go at once and a new one comes; the next pass sees all of it together.
    await kubectlOk(cluster, ['delete', 'httproute', ...gone, '-n', 'mass']);
    await exportRoutes([{ namespace: 'mass', name: 'm9' }]);
    one = await startOne(owner, config);
    const fresh = await eventually(() => reader.latest(nameOf('mass', 'm9')), 20_000, 'the new name published');
    expect(statusOf(fresh)).toBe('active');
    await resyncs(one, 1);
    for (const n of gone) expect(await isActive(nameOf('mass', n), '1.0.0'), n).toBe(true);
    expect(one.written().map((o) => `${o.write.kind} ${o.write.name}`)).toEqual([`publish ${nameOf('mass', 'm9')}`]);
    const refusals = one.passes.filter((p) => p.rules?.massRetire);
    expect(refusals.length).toBeGreaterThanOrEqual(2); // the start pass and the resync after it
    for (const pass of refusals) {
      expect(pass.rules!.massRetire!.names.sort()).toEqual(gone.map((n) => nameOf('mass', n)).sort());
      expect(pass.rules!.withheld.filter((w) => w.rule === 'mass retire').length).toBe(7);
    }
    const event = one.events.find((e) => e.reason === 'MassRetireRefused');
    expect(event).toMatchObject({ regarding: installationObject, type: 'Warning', action: 'Retire' });
    expect(event!.note).toMatch(/^refusing to retire 7 of [89] active names \(more than 50 %\)/);
    expect(one.events.filter((e) => e.reason === 'EndpointRetired')).toEqual([]);
    await stopOne(one);

    // The operator confirms: restarted with --allow-mass-retire, the seven are retired.
    one = await startOne(owner, { ...config, rules: { allowMassRetire: true } });
    await eventually(async () => {
      for (const n of gone) if (await isActive(nameOf('mass', n), '1.0.0')) return undefined;
      return true;
    }, 30_000, 'the seven retired');
    expect(await reader.picture(...all.map((n) => nameOf('mass', n)), nameOf('mass', 'm9'))).toEqual(
      [...gone.map((n) => `${nameOf('mass', n)}@1.0.0:deleted`), `${nameOf('mass', 'm8')}@1.0.0:active`, `${nameOf('mass', 'm9')}@1.0.0:active`].sort(),
    );
    expect(one.passes.some((p) => p.rules?.massRetire)).toBe(false);
    await stopOne(one);
  });

  it('policy upsert-only leaves a deleted route\'s entry; create-only publishes a new name but updates nothing', async () => {
    const owner = 'e2e-policy';
    const config = { installation: 'mcp-system/policy', namespaces: ['policy'] };
    const [p1, p2, p3] = ['p1', 'p2', 'p3'].map((n) => nameOf('policy', n)) as [string, string, string];
    await exportRoutes([
      { namespace: 'policy', name: 'p1' },
      { namespace: 'policy', name: 'p2', description: 'The p2 server' },
    ]);
    let one = await startOne(owner, { ...config, rules: { policy: 'upsert-only' } });
    await eventually(async () => ((await reader.picture(p1, p2)).length === 2 ? true : undefined), 30_000, 'p1 and p2 published');

    // upsert-only: the deleted route's name is reported, not retired.
    await kubectlOk(cluster, ['delete', 'httproute', 'p1', '-n', 'policy']);
    await eventually(
      async () => (one.passes.some((p) => p.rules?.withheld.some((w) => w.rule === 'policy' && w.write.kind === 'retire' && w.write.name === p1)) ? true : undefined),
      20_000,
      "p1's retire withheld by the policy",
    );
    await resyncs(one, 1);
    expect(await reader.picture(p1, p2)).toEqual([`${p1}@1.0.0:active`, `${p2}@1.0.0:active`]);
    expect(one.written().map((o) => o.write.kind)).toEqual(['publish', 'publish']);
    await stopOne(one);

    // create-only: a changed description is not updated; a new name is published.
    one = await startOne(owner, { ...config, rules: { policy: 'create-only' } });
    await apply(cluster, route('policy', 'p2', 'The p2 server, changed'));
    await exportRoutes([{ namespace: 'policy', name: 'p3' }]);
    await eventually(() => reader.latest(p3), 20_000, 'p3 published');
    await eventually(
      async () => (one.passes.some((p) => p.rules?.withheld.some((w) => w.rule === 'policy' && w.write.kind === 'update' && w.write.name === p2)) ? true : undefined),
      20_000,
      "p2's update withheld by the policy",
    );
    await resyncs(one, 1);
    expect(await reader.picture(p1, p2, p3)).toEqual([`${p1}@1.0.0:active`, `${p2}@1.0.0:active`, `${p3}@1.0.0:active`]);
    expect((await reader.latest(p2))!.server.description).toBe('The p2 server');
    expect(one.written().map((o) => `${o.write.kind} ${o.write.name}`)).toEqual([`publish ${p3}`]);
    await stopOne(one);
  });

  it('--adopt-owner: an adopted entry is left as it is while unchanged, and taken over at its next change', async () => {
    const name = nameOf('adopt', 'ad1');
    await exportRoutes([{ namespace: 'adopt', name: 'ad1', description: 'Adopted server' }]);
    // Published by the cluster this one was restored from.
    const old = await startOne('old-cluster', { installation: 'mcp-system/old', namespaces: ['adopt'] });
    await eventually(() => reader.latest(name), 20_000, 'the old owner\'s entry');
    await stopOne(old);
    const before = await reader.versionsOf(name);
    expect(before.map((v) => [v.server.version, statusOf(v), recordOf(v)?.owner, recordOf(v)?.installation])).toEqual([['1.0.0', 'active', 'old-cluster', 'mcp-system/old']]);

    const config = { installation: 'mcp-system/new', namespaces: ['adopt'] };
    // Without --adopt-owner the name is another owner's: a conflict, no write.
    let one = await startOne('e2e-new-cluster', config);
    await eventually(
      async () => one.events.find((e) => e.reason === 'NameConflict' && e.regarding.name === 'ad1' && e.note.includes('belongs to owner old-cluster')),
      20_000,
      'NameConflict naming old-cluster',
    );
    expect(writeRequests(one)).toBe(0);
    await stopOne(one);

    // --adopt-owner old-cluster/mcp-system/old: ours now, but unchanged, so no write at all.
    one = await startOne('e2e-new-cluster', { ...config, rules: { adopt: [parseAdoptedOwner('old-cluster/mcp-system/old')] } });
    await resyncs(one, 2);
    expect(writeRequests(one)).toBe(0);
    for (const pass of one.passes) {
      expect(pass.diff?.unchanged).toContain(name);
      expect(pass.diff?.conflicts).toEqual([]);
    }
    expect(await reader.versionsOf(name)).toEqual(before);

    // Its next change: a new version under our owner and installation, the old one retired.
    await apply(cluster, route('adopt', 'ad1', 'Adopted server, now ours'));
    const taken = await eventually(async () => {
      const latest = await reader.latest(name);
      return latest?.server.description === 'Adopted server, now ours' ? latest : undefined;
    }, 20_000, 'the adopted entry updated');
    expect(taken.server.version).toBe('1.0.1-0.1');
    expect(recordOf(taken)).toMatchObject({ owner: 'e2e-new-cluster', installation: 'mcp-system/new' });
    await eventually(async () => ((await isActive(name, '1.0.0')) ? undefined : true), 20_000, 'the old version retired');
    expect(await reader.picture(name)).toEqual([`${name}@1.0.0:deleted`, `${name}@1.0.1-0.1:active`]);
    await stopOne(one);
  });
});
