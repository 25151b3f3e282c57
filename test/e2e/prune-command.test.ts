// `mcp-registry-export prune` (shared/spec/publishing.md §6, §3), the built CLI
// (dist/cli/main.js, `npm run build`) against the real upstream registry (v1.8.9), read
// back over HTTP. It proves that prune retires every active version of every name this
// installation owns (a record without the installation field counts as its own), leaves a
// foreign owner's entry, another installation's entry and an entry without a record as
// they are; that --dry-run writes nothing and prints the would-be retires; that --output
// json is exactly one JSON document; that --namespace NS limits it to the names exported
// from NS; and exits 0 when done, 2 on errors (an unreachable registry, a usage error).
// The registry is seeded with the registry client, as a publisher would have written it.

import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OWNERSHIP_KEY, PUBLISHER_PROVIDED_KEY, SERVER_SCHEMA_URL, type ServerEntry } from '../../src/planner/server-entry.ts';
import type { OwnershipRecord } from '../../src/planner/ownership.ts';
import { createRegistryClient } from '../../src/registry/index.ts';
import { repoRoot } from '../support/control-plane.ts';
import { upstreamReader } from '../support/publisher-harness.ts';
import { startRegistry, type RegistryServer } from '../support/registry-server.ts';
import { runCli } from '../cli/run-cli.ts';

const BUILT_CLI = join(repoRoot, 'dist', 'cli', 'main.js');
const OWNER = 'cluster-p';
const INSTALLATION = 'mcp-system/p';

let registry: RegistryServer;
let reader: ReturnType<typeof upstreamReader>;
let dir: string;
let tokenFile: string;

const n = (namespace: string, name: string) => `com.toolhive.k8s.${namespace}/${name}`;
const ONE = n('prune-a', 'one'); // ours, two active versions
const TWO = n('prune-a', 'two'); // ours, one retired and one active version
const LEGACY = n('prune-a', 'legacy'); // our owner, a record older than the installation field
const THREE = n('prune-b', 'three'); // ours, exported from prune-b
const SIBLING = n('prune-a', 'sibling'); // our owner, another installation
const FOREIGN = n('prune-a', 'foreign'); // another owner
const HAND = n('prune-a', 'hand'); // no ownership record
const ALL = [ONE, TWO, LEGACY, THREE, SIBLING, FOREIGN, HAND];

// Only what the CLI needs from the environment: no stray MCP_REGISTRY_EXPORT_* variable.
const run = (args: readonly string[]) => runCli(args, undefined, { program: BUILT_CLI, env: { PATH: process.env['PATH'] ?? '', HOME: dir }, onlyEnv: true });

const prune = (extra: string[] = []) => run(['prune', '--registry-url', registry.url, '--registry-auth', 'token', '--registry-token-file', tokenFile, '--owner', OWNER, ...extra]);

function entry(name: string, version: string, record: Partial<OwnershipRecord> | undefined, namespace: string): ServerEntry {
  const url = `https://mcp.company.com/${name.replace(/[^a-z0-9]+/g, '-')}/mcp`;
  return {
    $schema: SERVER_SCHEMA_URL,
    name,
    description: `The ${name.split('/')[1]} server`,
    version,
    remotes: [{ type: 'streamable-http', url }],
    ...(record ? { _meta: { [PUBLISHER_PROVIDED_KEY]: { [OWNERSHIP_KEY]: { sources: [{ kind: 'HTTPRoute', namespace, name: name.split('/')[1]! }], ...record } } } } : {}),
  } as ServerEntry;
}

beforeAll(async () => {
  if (!existsSync(BUILT_CLI)) throw new Error(`${BUILT_CLI} is missing: run \`npm run build\` first`);
  registry = await startRegistry();
  reader = upstreamReader(registry.url);
  dir = mkdtempSync(join(tmpdir(), 'mcp-registry-export-prune-'));
  tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, registry.mintToken([{ action: 'publish', resource: 'com.toolhive.k8s.*' }], 3600));
  const client = createRegistryClient({ url: registry.url, flavor: 'upstream', auth: { mode: 'token', tokenFile } });
  const ours = { owner: OWNER, installation: INSTALLATION };
  await client.publish(entry(ONE, '1.0.0', ours, 'prune-a'));
  await client.publish(entry(ONE, '1.0.1', ours, 'prune-a'));
  await client.publish(entry(TWO, '1.0.0', ours, 'prune-a'));
  await client.publish(entry(TWO, '1.1.0', ours, 'prune-a'));
  await client.setStatus(TWO, '1.0.0', 'deleted');
  await client.publish(entry(LEGACY, '1.0.0', { owner: OWNER }, 'prune-a'));
  await client.publish(entry(THREE, '2.0.0', ours, 'prune-b'));
  await client.publish(entry(SIBLING, '1.0.0', { owner: OWNER, installation: 'mcp-system/other' }, 'prune-a'));
  await client.publish(entry(FOREIGN, '1.0.0', { owner: 'another-cluster', installation: INSTALLATION }, 'prune-a'));
  await client.publish(entry(HAND, '1.0.0', undefined, 'prune-a'));
}, 120_000);

afterAll(async () => {
  await registry?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const SEEDED = [
  `${FOREIGN}@1.0.0:active`,
  `${HAND}@1.0.0:active`,
  `${LEGACY}@1.0.0:active`,
  `${ONE}@1.0.0:active`,
  `${ONE}@1.0.1:active`,
  `${SIBLING}@1.0.0:active`,
  `${THREE}@2.0.0:active`,
  `${TWO}@1.0.0:deleted`,
  `${TWO}@1.1.0:active`,
].sort();

const OURS_ACTIVE = [`${LEGACY}@1.0.0`, `${ONE}@1.0.0`, `${ONE}@1.0.1`, `${THREE}@2.0.0`, `${TWO}@1.1.0`].sort();

describe('prune', { timeout: 60_000 }, () => {
  it('--dry-run prints the retires of every active version this installation owns, and writes nothing', async () => {
    expect(await reader.picture(...ALL)).toEqual(SEEDED);
    const result = await prune(['--installation', INSTALLATION, '--dry-run']);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines.slice(0, -1).sort()).toEqual(OURS_ACTIVE.map((v) => `RETIRE     ${v}  (would retire)`).sort());
    expect(lines.at(-1)).toBe('5 version(s) to retire (dry run)');
    expect(await reader.picture(...ALL)).toEqual(SEEDED);
  });

  it('--output json is one JSON document; with --dry-run it still writes nothing', async () => {
    const result = await prune(['--installation', INSTALLATION, '--dry-run', '--output', 'json']);
    expect(result.code, result.stderr).toBe(0);
    const document = JSON.parse(result.stdout) as { dryRun: boolean; writes: { action: string; name: string; version: string; result: string }[] };
    expect(document.dryRun).toBe(true);
    expect(document.writes.map((w) => `${w.name}@${w.version}`).sort()).toEqual(OURS_ACTIVE);
    expect(new Set(document.writes.map((w) => `${w.action} ${w.result}`))).toEqual(new Set(['retire dry-run']));
    expect(await reader.picture(...ALL)).toEqual(SEEDED);
  });

  it('--namespace prune-b retires only the names exported from prune-b', async () => {
    const result = await prune(['--installation', INSTALLATION, '--namespace', 'prune-b', '-o', 'json']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ dryRun: false, writes: [{ action: 'retire', name: THREE, version: '2.0.0', result: 'written' }] });
    expect(await reader.picture(...ALL)).toEqual(SEEDED.map((line) => (line === `${THREE}@2.0.0:active` ? `${THREE}@2.0.0:deleted` : line)));
  });

  it("retires every active version this installation owns; other owners', other installations' and unrecorded entries are untouched", async () => {
    // The installation as the chart's hook derives it: <install namespace>/<lease name>.
    const result = await prune(['--install-namespace', 'mcp-system', '--lease-name', 'p']);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines.slice(0, -1).sort()).toEqual([`${LEGACY}@1.0.0`, `${ONE}@1.0.0`, `${ONE}@1.0.1`, `${TWO}@1.1.0`].map((v) => `RETIRE     ${v}  (retired)`).sort());
    expect(lines.at(-1)).toBe('4 version(s) retired, 0 failed');
    expect(await reader.picture(...ALL)).toEqual(
      [
        `${FOREIGN}@1.0.0:active`,
        `${HAND}@1.0.0:active`,
        `${LEGACY}@1.0.0:deleted`,
        `${ONE}@1.0.0:deleted`,
        `${ONE}@1.0.1:deleted`,
        `${SIBLING}@1.0.0:active`,
        `${THREE}@2.0.0:deleted`,
        `${TWO}@1.0.0:deleted`,
        `${TWO}@1.1.0:deleted`,
      ].sort(),
    );
    // Nothing left: done, exit 0, no write.
    const again = await prune(['--installation', INSTALLATION, '-o', 'json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ dryRun: false, writes: [] });
  });

  it('exits 2 with one line when the registry cannot be reached, and on a usage error', async () => {
    const unreachable = await run(['prune', '--registry-url', 'http://127.0.0.1:1', '--registry-auth', 'none', '--owner', OWNER, '--installation', INSTALLATION]);
    expect(unreachable.code).toBe(2);
    expect(unreachable.stdout).toBe('');
    expect(unreachable.stderr).toMatch(/^error: .*127\.0\.0\.1:1 unreachable/);
    expect(unreachable.stderr.trimEnd().split('\n')).toHaveLength(1);
    const usage = await run(['prune', '--owner', OWNER, '--installation', INSTALLATION]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--registry-url is required');
    // The registry still holds what the last case left.
    expect((await reader.picture(SIBLING, FOREIGN, HAND)).every((line) => line.endsWith(':active'))).toBe(true);
  });
});
