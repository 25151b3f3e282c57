// A progressive rollout (canary, then promotion) as Flagger plays it, end to end: a real
// kube-apiserver + etcd, the real upstream MCP registry (v1.8.9), the real kubectl. Two
// MCPServers, `github` (the primary, v1.2.0) and `github-canary` (v1.3.0), behind ONE
// exported HTTPRoute rule whose backendRefs are [mcp-github-proxy, mcp-github-canary-proxy]
// (no Services: the planner's name rule finds the MCPServers). The weights go
// 100/0 -> 90/10 -> 50/50 -> 0/100, then the promotion copies the canary's image into the
// primary (v1.3.0) and the weights go back to 100/0. After every route edit the Gateway
// controller catches up a moment later (acceptRoute), so the stale-status hold of
// shared/spec/publishing.md §1 applies in between. The registry is sampled every 100 ms
// throughout. It proves (shared/spec/discovery.md §2, "One rule is one endpoint"):
//   - the rule's URL belongs to the MCP resource of its FIRST backendRef whatever the
//     weights (0/100 included): the registry holds one name, `…/github`, the whole time,
//     never `…/github-canary` (not even a version retired between two samples), never two
//     names, never a gap (some version of `…/github` active in every sample), always the
//     same URL; the plan names the canary in a warning while it takes traffic;
//   - the entry's metadata and base version are the first resource's: v1.2.0 until the
//     promotion, whatever image the canary runs;
//   - a weight change costs no registry write at all (held while the status is stale, the
//     same content once it caught up); only the promotion (a new image tag in the primary:
//     new content) writes: exactly one update (v1.3.0) and the retire of v1.2.0.
// The registry writes of every step are printed as a table.

import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PassReport } from '../../src/publisher/reconciler.ts';
import type { ControlPlane } from '../support/control-plane.ts';
import { loggerInto, startInProcessPublisher, upstreamReader, type InProcessPublisher } from '../support/publisher-harness.ts';
import { acceptRoute, apply, eventually, mcpServer, P } from '../support/publisher-cluster.ts';
import type { RegistryServer } from '../support/registry-server.ts';
import { startPublisherWorld, type PublisherWorld } from '../support/publisher-world.ts';

const NAME = 'com.toolhive.k8s.mcp-servers/github';
const CANARY = 'com.toolhive.k8s.mcp-servers/github-canary';
const URL = 'https://mcp.company.com/github/mcp';
const IMAGE = 'ghcr.io/example/github-mcp-server';
/** How long the Gateway controller takes to write the status of a route edit. */
const CONTROLLER_LAG_MS = 400;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let cluster: ControlPlane;
let registry: RegistryServer;
let tokenFile: string;
let world: PublisherWorld | undefined;
let reader: ReturnType<typeof upstreamReader>;
let one: InProcessPublisher | undefined;
/** The publisher's log lines (info and up), printed when the case fails. */
const logLines: string[] = [];
/** Stops the registry sampler if the case failed before it did. */
let stopSampling: (() => Promise<unknown>) | undefined;
/** The registry writes of each step, printed after the case (passed or failed). */
const table: { step: string; writes: string[]; requests: number; ms: number }[] = [];
/** The registry as sampled every ~100 ms: each step's pictures, printed when the case fails. */
const samples: { at: number; step: string; lines: string[] }[] = [];

function printTable(): void {
  // eslint-disable-next-line no-console
  console.log(
    [
      `registry writes per step (${samples.length} samples):`,
      ...table.map((t) => `  ${t.step.padEnd(30)} ${(t.writes.join(', ') || '-').padEnd(32)} ${String(t.requests).padStart(2)} write requests  ${String(t.ms).padStart(5)} ms`),
    ].join('\n'),
  );
}

const server = (name: string, tag: string, description: string): string => mcpServer(name, description, {}, `${IMAGE}:${tag}`);

/** The exported route: one rule, primary first, canary second, as Flagger writes it. */
function route(primary: number, canary: number): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: github
  namespace: mcp-servers
  annotations:
    ${P}registry-export: "true"
spec:
  parentRefs: [{name: public, namespace: gateway-system}]
  hostnames: [mcp.company.com]
  rules:
    - matches: [{path: {type: PathPrefix, value: /github}}]
      filters:
        - type: URLRewrite
          urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}
      backendRefs:
        - {name: mcp-github-proxy, port: 8080, weight: ${primary}}
        - {name: mcp-github-canary-proxy, port: 8080, weight: ${canary}}
`;
}

const holdsOf = (pass: PassReport) => pass.rules?.holds.filter((h) => h.name === NAME) ?? [];
const entryOf = (pass: PassReport) => pass.plan.entries.find((e) => e.name === NAME);
const writesOf = (from: number) =>
  one!.passes
    .slice(from)
    .flatMap((pass) => pass.outcomes.filter((o) => o.result === 'written'))
    .map((o) => `${o.write.kind} ${o.write.name === NAME ? '' : `${o.write.name}@`}${o.write.version}`);

beforeAll(async () => {
  world = await startPublisherWorld('rollout-e2e');
  ({ cluster, registry, tokenFile } = world);
  reader = upstreamReader(registry.url);
}, 240_000);

afterEach(async (context) => {
  await stopSampling?.().catch(() => {});
  printTable();
  if (context.task.result?.state === 'fail') {
    const seen = samples.map((s) => `  ${s.step}: ${s.lines.join(', ') || '(nothing)'}`).filter((line, i, all) => line !== all[i - 1]);
    // eslint-disable-next-line no-console
    console.error(`the registry as sampled (changes only):\n${seen.join('\n')}`);
    // eslint-disable-next-line no-console
    console.error(`publisher log of the failed case:\n${logLines.join('\n')}`);
  }
});

afterAll(async () => {
  await one?.stop();
  await world?.stop();
});

describe('a canary rollout and its promotion against a real API server and a real registry', () => {
  it('one name, one URL, no gap; weight changes write nothing, the promotion is one update', async () => {
    const startedAt = Date.now();
    const logger = loggerInto(logLines);
    one = await startInProcessPublisher({ cluster, registryUrl: registry.url, tokenFile, owner: 'rollout', logger, cache: { logger: logger.child({ component: 'cluster-cache' }) } });

    // The registry every ~100 ms from before the first publish to the end.
    let step = 'initial 100/0';
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const at = Date.now();
        samples.push({ at, step, lines: await reader.picture(NAME, CANARY) });
        await sleep(Math.max(0, at + 100 - Date.now()));
      }
    })();
    sampler.catch(() => {});
    stopSampling = async () => {
      sampling = false;
      stopSampling = undefined;
      await sampler;
    };

    const record = (name: string, from: number, requestsFrom: number, began: number) => {
      const requests = one!.requests.slice(requestsFrom).filter((r) => r.operation === 'publish' || r.operation === 'status').length;
      table.push({ step: name, writes: writesOf(from), requests, ms: Date.now() - began });
    };

    // Flagger's starting point: the primary takes everything, the canary is deployed at 0.
    let from = one.passes.length;
    let requestsFrom = one.requests.length;
    let began = Date.now();
    await apply(cluster, server('github', 'v1.2.0', 'GitHub MCP server') + '---\n' + server('github-canary', 'v1.3.0', 'GitHub MCP server (canary)'));
    await apply(cluster, route(100, 0));
    await sleep(CONTROLLER_LAG_MS);
    await acceptRoute(cluster, 'github');
    await eventually(async () => ((await reader.picture(NAME, CANARY)).join() === `${NAME}@v1.2.0:active` ? true : undefined), 30_000, `${NAME} published`);
    await sleep(300);
    record(step, from, requestsFrom, began);

    /**
     * One weight step: the route edit, the hold while the status is stale, the status
     * written a moment later, and the pass that plans with it. Returns that pass.
     */
    const shift = async (primary: number, canary: number, name = `${primary}/${canary}`): Promise<PassReport> => {
      step = name;
      from = one!.passes.length;
      requestsFrom = one!.requests.length;
      began = Date.now();
      await apply(cluster, route(primary, canary));
      await one!.passWhere(from, (p) => holdsOf(p).some((h) => h.category === 'stale status'), `the stale-status hold at ${name}`);
      await sleep(CONTROLLER_LAG_MS);
      const acceptedFrom = one!.passes.length;
      await acceptRoute(cluster, 'github');
      // The hold is over: this pass planned with the status of the edit.
      const caughtUp = await one!.passWhere(acceptedFrom, (p) => p.rules !== undefined && holdsOf(p).length === 0, `a pass with the status of ${name} caught up`);
      await sleep(300);
      record(name, from, requestsFrom, began);
      return caughtUp;
    };

    /** What every plan of the rollout says: the first backend's entry, the canary's nowhere. */
    const expectFirstBackendOnly = (pass: PassReport, base: string, canaryForwards: boolean) => {
      const entry = entryOf(pass);
      expect(entry, `${step}: no entry for ${NAME} in the plan, only ${pass.plan.entries.map((e) => `${e.name} ${e.remotes.map((r) => r.url).join()}`).join('; ') || 'none'}`).toBeDefined();
      if (!entry) return;
      expect(entry.remotes?.map((r) => r.url)).toEqual([URL]);
      expect(entry.version).toBe(base);
      expect(entry.description).toBe('GitHub MCP server');
      expect(JSON.stringify(entry._meta)).not.toContain('github-canary');
      expect(pass.plan.entries.map((e) => e.name)).not.toContain(CANARY);
      if (canaryForwards) {
        // The other MCP resource behind the rule is named in a warning.
        expect(pass.plan.warnings.map((w) => `${w.kind} ${w.namespace}/${w.name}: ${w.message}`).join('\n')).toContain('github-canary');
      }
    };

    // Canary analysis: the weights move, the first backendRef stays the primary.
    for (const [primary, canary] of [
      [90, 10],
      [50, 50],
      [0, 100],
    ] as const) {
      const pass = await shift(primary, canary);
      expectFirstBackendOnly(pass, 'v1.2.0', true);
      expect((await reader.latest(NAME))!.server.version).toBe('v1.2.0');
    }

    // Promotion: the canary's image copied into the primary (new content: one update)...
    step = 'promote: primary image v1.3.0';
    from = one.passes.length;
    requestsFrom = one.requests.length;
    began = Date.now();
    const promotedAt = Date.now();
    await apply(cluster, server('github', 'v1.3.0', 'GitHub MCP server'));
    await eventually(async () => ((await reader.picture(NAME)).join() === `${NAME}@v1.2.0:deleted,${NAME}@v1.3.0:active` ? true : undefined), 20_000, 'v1.3.0 published and v1.2.0 retired');
    await sleep(300);
    record(step, from, requestsFrom, began);
    const promotedUntil = Date.now();

    // ...then the traffic back to the primary (Flagger's last routing step).
    expectFirstBackendOnly(await shift(100, 0, 'promote: 100/0'), 'v1.3.0', false);

    await stopSampling();
    // eslint-disable-next-line no-console
    console.log(`the rollout took ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);

    // Writes: the first publish, nothing for any weight change, one update at the promotion.
    expect(table.map((t) => [t.step, t.writes])).toEqual([
      ['initial 100/0', ['publish v1.2.0']],
      ['90/10', []],
      ['50/50', []],
      ['0/100', []],
      ['promote: primary image v1.3.0', ['update v1.3.0', 'retire v1.2.0']],
      ['promote: 100/0', []],
    ]);
    expect(table.map((t) => t.requests)).toEqual([1, 0, 0, 0, 2, 0]);
    expect(one.passes.flatMap((p) => p.outcomes).filter((o) => o.result === 'failed')).toEqual([]);

    // The samples: one name, never the canary's, never a gap.
    const published = samples.filter((s) => s.lines.length > 0);
    expect(published.length).toBeGreaterThan(20);
    expect(samples.slice(samples.indexOf(published[0]!)).filter((s) => s.lines.length === 0)).toEqual([]);
    for (const sample of published) {
      const where = `${sample.step}: ${sample.lines.join()}`;
      expect(sample.lines.every((l) => l.startsWith(`${NAME}@`)), where).toBe(true);
      expect(sample.lines.filter((l) => l.endsWith(':active')).length, where).toBeGreaterThanOrEqual(1);
    }
    // Exactly one active version, except for the instant of the update itself (the new
    // version is written before the old one is retired, so there is never a gap).
    const OVERLAP = `${NAME}@v1.2.0:active,${NAME}@v1.3.0:active`;
    for (const sample of published.filter((s) => s.lines.join() === OVERLAP)) {
      expect(sample.at, sample.step).toBeGreaterThanOrEqual(promotedAt);
      expect(sample.at, sample.step).toBeLessThanOrEqual(promotedUntil);
    }
    const pictures = [...new Set(published.map((s) => s.lines.join()))].filter((p) => p !== OVERLAP);
    expect(pictures).toEqual([`${NAME}@v1.2.0:active`, `${NAME}@v1.2.0:deleted,${NAME}@v1.3.0:active`]);
    expect(new Set(published.filter((s) => s.at < promotedAt).map((s) => s.lines.join()))).toEqual(new Set([`${NAME}@v1.2.0:active`]));
    expect(new Set(samples.map((s) => s.step))).toEqual(new Set(table.map((t) => t.step)));

    // Read back once more with every version: nothing was written and retired between two
    // samples, the canary's name was never created, the URL never moved.
    expect(await reader.versionsOf(CANARY)).toEqual([]);
    expect(await reader.picture(NAME)).toEqual([`${NAME}@v1.2.0:deleted`, `${NAME}@v1.3.0:active`]);
    for (const version of await reader.versionsOf(NAME)) expect(version.server.remotes.map((r) => r.url)).toEqual([URL]);
    const latest = (await reader.latest(NAME))!;
    expect(latest.server.version).toBe('v1.3.0');
    expect(latest.server.description).toBe('GitHub MCP server');
  }, 90_000);
});
