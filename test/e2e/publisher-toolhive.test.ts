// The publisher with `--registry-flavor toolhive` end to end: a real kube-apiserver + etcd,
// the real kubectl, and a stand-in for the ToolHive registry server (the server cannot be
// built here; test/support/toolhive-registry-stand-in.ts follows its API and publish rules,
// and stores entries the way it does: no icons, remotes reordered, empty `_meta` on reads),
// and, with authorization on, a registry whose claims the token does not cover.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterCache } from '../../src/kubernetes/cluster-cache.ts';
import { createLogger, silentLogger } from '../../src/observability/logger.ts';
import { OWNERSHIP_KEY, PUBLISHER_PROVIDED_KEY, SERVER_SCHEMA_URL } from '../../src/planner/server-entry.ts';
import { startPublisher, type RunningPublisher } from '../../src/publisher/publisher.ts';
import type { PassReport } from '../../src/publisher/reconciler.ts';
import { createRegistryClient } from '../../src/registry/index.ts';
import { startControlPlane, type ControlPlane } from '../support/control-plane.ts';
import { acceptRoute, apply, baseObjects, eventually, exportedRoute, kubectlOk, mcpServer, P } from '../support/publisher-cluster.ts';
import { startToolHiveStandIn, type ToolHiveStandIn } from '../support/toolhive-registry-stand-in.ts';

const OWNER = 'e2e-toolhive';
const NAME = 'com.toolhive.k8s.mcp-servers/github';
const TOKEN = 'thv-e2e-token-0123456789';

let cluster: ControlPlane;
let registry: ToolHiveStandIn;
let dir: string;
let tokenFile: string;
let requests: { operation: string; outcome: string }[] = [];
let passes: PassReport[] = [];

/** The Gateway with a second HTTPS listener, so one route gets two remote URLs. */
const twoListeners = () =>
  `${baseObjects()}    - name: https-b
      port: 443
      protocol: HTTPS
      hostname: a.company.com
      allowedRoutes: {namespaces: {from: All}}
      tls: {mode: Terminate, certificateRefs: [{name: public-tls}]}
`;

const held = (name: string) => registry.entries.get(name);
const versions = (name: string) => [...(held(name)?.versions.keys() ?? [])];
const writesOf = (list: PassReport[]) => list.flatMap((pass) => pass.outcomes.filter((o) => o.result === 'written'));
const failuresOf = (list: PassReport[]) => list.flatMap((pass) => pass.outcomes.filter((o) => o.result === 'failed'));

async function startOne(target: ToolHiveStandIn = registry, logger = silentLogger()): Promise<{ publisher: RunningPublisher; stop: () => Promise<void> }> {
  const cache = new ClusterCache({ kubeconfigPath: cluster.kubeconfigPath });
  cache.start();
  const client = createRegistryClient(
    { url: target.url, flavor: 'toolhive', auth: { mode: 'token', tokenFile } },
    { logger, onRequest: (operation, outcome) => requests.push({ operation, outcome }) },
  );
  const publisher = await startPublisher(
    { owner: OWNER, namePrefix: 'com.toolhive.k8s.{namespace}', flavor: 'toolhive', namespaces: [], resyncIntervalMs: 0, dryRun: false, debounceMs: 50 },
    logger,
    { cache, client, onPass: (pass) => passes.push(pass) },
  );
  return {
    publisher,
    async stop() {
      await publisher.stop();
      await cache.stop();
    },
  };
}

beforeAll(async () => {
  [cluster, registry] = await Promise.all([startControlPlane(), startToolHiveStandIn({ tokens: { [TOKEN]: {} } })]);
  dir = mkdtempSync(join(tmpdir(), 'mcp-registry-export-toolhive-e2e-'));
  tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${TOKEN}\n`);
  await apply(cluster, twoListeners());
}, 240_000);

afterAll(async () => {
  await Promise.all([cluster?.stop(), registry?.close()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the publisher against a ToolHive registry server stand-in', () => {
  let running: Awaited<ReturnType<typeof startOne>>;

  it('publishes an exported, accepted route with both listener URLs, its icon and the ownership record', async () => {
    running = await startOne();
    await apply(cluster, mcpServer('github', 'GitHub MCP server', { [`${P}registry-icon`]: 'https://example.com/github.png' }));
    await apply(cluster, exportedRoute('github', 'github'));
    await acceptRoute(cluster, 'github');
    await eventually(async () => (versions(NAME).length === 1 ? true : undefined), 10_000, `${NAME} in the registry`);
    expect(versions(NAME)).toEqual(['v1.2.0']);
    const stored = held(NAME)!.versions.get('v1.2.0')!.server as { remotes: { url: string }[]; icons?: unknown; _meta: Record<string, Record<string, { owner: string }>> };
    // Stored as the server stores it: remotes by URL, no icons; the ownership record whole.
    expect(stored.remotes.map((r) => r.url)).toEqual(['https://a.company.com/github/mcp', 'https://mcp.company.com/github/mcp']);
    expect(stored.icons).toBeUndefined();
    expect(stored._meta[PUBLISHER_PROVIDED_KEY]![OWNERSHIP_KEY]!.owner).toBe(OWNER);
    expect(registry.requests.filter((r) => r.method === 'POST').map((r) => r.authorization)).toEqual([`Bearer ${TOKEN}`]);
    expect(failuresOf(passes)).toEqual([]);
  });

  it('a restart with nothing changed writes nothing (what the server lost comes back on reading)', async () => {
    await running.stop();
    passes = [];
    requests = [];
    running = await startOne();
    await eventually(async () => (passes.length > 0 ? true : undefined), 10_000, 'the first pass');
    await running.publisher.reconciler.pass('test');
    expect(writesOf(passes)).toEqual([]);
    expect(requests.filter((r) => !['list', 'versions'].includes(r.operation))).toEqual([]);
  });

  it('a new description becomes a new version; the old one is deleted', async () => {
    await apply(cluster, mcpServer('github', 'GitHub MCP server, now with merge queues', { [`${P}registry-icon`]: 'https://example.com/github.png' }));
    await eventually(async () => (versions(NAME).join() === 'v1.2.1-0.1' ? true : undefined), 10_000, 'one new version');
    expect(held(NAME)!.versions.get('v1.2.1-0.1')!.server['description']).toBe('GitHub MCP server, now with merge queues');
    expect(registry.requests.filter((r) => r.method === 'DELETE').map((r) => r.path)).toEqual(['/v1/entries/server/com.toolhive.k8s.mcp-servers%2Fgithub/versions/v1.2.0']);
  });

  it('rides out a registry answering 503 and then converges', async () => {
    registry.failNext(3, 503);
    await apply(cluster, mcpServer('github', 'GitHub MCP server v3', { [`${P}registry-icon`]: 'https://example.com/github.png' }));
    await eventually(async () => (versions(NAME).join() === 'v1.2.1-0.2' ? true : undefined), 15_000, 'the next version after the 503s');
    expect(requests.some((r) => r.outcome === '5xx')).toBe(true);
  });

  it('never touches an entry of another owner under the same prefix', async () => {
    const foreign = 'com.toolhive.k8s.mcp-servers/foreign';
    const response = await fetch(`${registry.url}/v1/entries`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        server: {
          $schema: SERVER_SCHEMA_URL,
          name: foreign,
          description: 'Published by another cluster',
          version: '1.0.0',
          remotes: [{ type: 'streamable-http', url: 'https://other.example.com/mcp' }],
          _meta: { [PUBLISHER_PROVIDED_KEY]: { [OWNERSHIP_KEY]: { owner: 'another-cluster', sources: [] } } },
        },
      }),
    });
    expect(response.status).toBe(201);
    await running.publisher.reconciler.resync();
    await running.publisher.reconciler.pass('test');
    expect(versions(foreign)).toEqual(['1.0.0']);
  });

  it('deleting the route deletes the name from the registry', async () => {
    await kubectlOk(cluster, ['delete', 'httproute', 'github', '-n', 'mcp-servers']);
    await eventually(async () => (held(NAME) === undefined ? true : undefined), 10_000, `${NAME} deleted`);
    expect(failuresOf(passes)).toEqual([]);
  });

  afterAll(async () => {
    await running?.stop();
  });
});

describe("with authorization on, a registry whose claims the token does not cover", () => {
  const CLAIMED = 'com.toolhive.k8s.mcp-servers/claimed';
  let gated: ToolHiveStandIn;
  let running: Awaited<ReturnType<typeof startOne>> | undefined;
  let logged = '';
  const expected =
    "list: 403 Forbidden: forbidden: insufficient claims for registry; the token's claims do not cover registry default (with authorization on, a registry without claims is open to super-admins only): " +
    'set registries[].claims of default to claims the token carries, or use --toolhive-registry NAME of a registry the token covers';

  beforeAll(async () => {
    gated = await startToolHiveStandIn({
      tokens: { [TOKEN]: { claims: { team: 'platform' } } },
      authz: true,
      managedSourceClaims: { team: 'platform' },
      registryClaims: { default: { team: 'data' } },
    });
    await apply(cluster, mcpServer('claimed', 'A server for the platform team', { [`${P}authz-claims`]: '{"team": "platform"}' }));
    await apply(cluster, exportedRoute('claimed', 'claimed'));
    await acceptRoute(cluster, 'claimed');
  });

  afterAll(async () => {
    await running?.stop();
    await gated?.close();
  });

  it('every pass fails with that one line, one request each, and the passes back off (no hot loop)', async () => {
    passes = [];
    requests = [];
    const lines = new PassThrough();
    lines.on('data', (chunk: Buffer) => (logged += chunk.toString()));
    running = await startOne(gated, createLogger({ level: 'debug', destination: lines }));
    await eventually(async () => (passes.some((pass) => pass.error) ? true : undefined), 10_000, 'a failed pass');
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const failed = passes.filter((pass) => pass.error !== undefined);
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect(passes.length).toBeLessThanOrEqual(5);
    expect(new Set(failed.map((pass) => pass.error))).toEqual(new Set([expected]));
    // One GET per pass: the 403 is not retried request by request, and nothing was written.
    expect(gated.requests.map((r) => r.method)).toEqual(failed.map(() => 'GET'));
    expect(logged).not.toContain('registry request failed; retrying');
    const warnings = logged.split('\n').filter((line) => line.includes('registry pass failed; retrying later'));
    expect(warnings).toHaveLength(failed.length);
    expect(warnings.every((line) => line.includes('set registries[].claims of default'))).toBe(true);
    expect(gated.entries.size).toBe(0);
  });

  it('once registries[].claims of the registry are covered by the token, the next pass publishes', async () => {
    gated.registryClaims.set('default', { team: ['platform', 'data'] });
    await running!.publisher.reconciler.pass('test');
    await eventually(async () => (gated.entries.get(CLAIMED)?.versions.size === 1 ? true : undefined), 10_000, `${CLAIMED} in the registry`);
    expect(gated.entries.get(CLAIMED)?.claims).toEqual({ team: 'platform' });
    expect(passes.at(-1)?.error).toBeUndefined();
  });
});
