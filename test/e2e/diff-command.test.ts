// `mcp-registry-export diff` from manifests against the real upstream registry: exit 3 with
// the writes while the registry lacks the entries, 0 once the publisher's writes are made,
// 3 again with an update when the content changes, and 2 when the registry is unreachable.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { executeWrites } from '../../src/publisher/execute.ts';
import { readScope } from '../../src/publisher/read-scope.ts';
import { RegistryView } from '../../src/publisher/registry-view.ts';
import { diffEntries } from '../../src/diff/diff.ts';
import { plan } from '../../src/planner/index.ts';
import { createRegistryClient } from '../../src/registry/index.ts';
import { loadManifests } from '../../src/cli/manifests.ts';
import { runCli } from '../cli/run-cli.ts';
import { repoRoot } from '../support/control-plane.ts';
import { startRegistry, type RegistryServer } from '../support/registry-server.ts';

let registry: RegistryServer;
let dir: string;
let tokenFile: string;
const examples = join(repoRoot, 'examples');

beforeAll(async () => {
  registry = await startRegistry();
  dir = mkdtempSync(join(tmpdir(), 'mcp-registry-export-diff-'));
  tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, registry.mintToken([{ action: 'publish', resource: 'com.toolhive.k8s.*' }], 3600));
}, 120_000);

afterAll(async () => {
  await registry?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const diff = (files: string, extra: string[] = []) =>
  runCli(['diff', '-f', files, '--owner', 'cluster-a', '--registry-url', registry.url, '--registry-auth', 'token', '--registry-token-file', tokenFile, ...extra]);

async function publishLikeThePublisher(files: string): Promise<void> {
  const objects = (await loadManifests([files])).map((m) => m.object);
  const options = { namePrefix: 'com.toolhive.k8s.{namespace}', flavor: 'upstream' as const, owner: 'cluster-a', defaultNamespace: 'default' };
  const client = createRegistryClient({ url: registry.url, flavor: 'upstream', auth: { mode: 'token', tokenFile } });
  const planned = plan(objects, options);
  const view = await RegistryView.load(client, readScope(options.namePrefix, await client.publishPatterns(), planned.entries.map((e) => e.name)));
  const outcomes = await executeWrites(client, view, diffEntries(planned.entries, view.entries(), 'cluster-a').writes);
  expect(outcomes.map((o) => o.result)).toEqual(outcomes.map(() => 'written'));
}

it('lists the writes (exit 3), then is in sync once they are made (exit 0)', async () => {
  const before = await diff(examples);
  expect(before.code, before.stderr).toBe(3);
  expect(before.stdout).toContain('PUBLISH    com.toolhive.k8s.mcp-servers/github@v0.4.0  (new entry)');
  expect(before.stdout).toContain('PUBLISH    com.toolhive.k8s.mcp-servers/notion@1.2.0  (new entry)');
  expect(before.stdout).toContain('PUBLISH    com.toolhive.k8s.mcp-servers/deepwiki@1.0.0  (new entry)');
  await publishLikeThePublisher(examples);
  const after = await diff(examples, ['-o', 'json']);
  expect(after.code, after.stderr).toBe(0);
  expect(JSON.parse(after.stdout)).toEqual({ writes: [], conflicts: [], holds: [], pending: [], kept: [], unchanged: ['com.toolhive.k8s.mcp-servers/deepwiki', 'com.toolhive.k8s.mcp-servers/github', 'com.toolhive.k8s.mcp-servers/notion'] });
});

it('a changed description is an update of the name plus the retire of the old version', async () => {
  const changed = join(dir, 'changed');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(changed);
  const { readdirSync } = await import('node:fs');
  for (const file of readdirSync(examples).filter((name) => name.endsWith('.yaml'))) {
    writeFileSync(join(changed, file), readFileSync(join(examples, file), 'utf8').replace('Notion workspace tools via ToolHive', 'Notion tools'));
  }
  const result = await diff(changed, ['-o', 'json']);
  expect(result.code).toBe(3);
  expect(JSON.parse(result.stdout).writes).toEqual([
    { action: 'update', name: 'com.toolhive.k8s.mcp-servers/notion', version: '1.2.1-0.1', reason: 'changed: description', after: [] },
    { action: 'retire', name: 'com.toolhive.k8s.mcp-servers/notion', version: '1.2.0', reason: 'superseded by com.toolhive.k8s.mcp-servers/notion@1.2.1-0.1', after: [0] },
  ]);
});

it('exit 2 with one line when the registry cannot be reached; usage errors are 2 too', async () => {
  const unreachable = await runCli(['diff', '-f', examples, '--owner', 'x', '--registry-url', 'http://127.0.0.1:1', '--registry-auth', 'none']);
  expect(unreachable.code).toBe(2);
  expect(unreachable.stderr).toMatch(/^error: auth login: http:\/\/127\.0\.0\.1:1 unreachable/);
  const usage = await runCli(['diff', '-f', examples, '--registry-url', registry.url]);
  expect(usage.code).toBe(2);
  expect(usage.stderr).toContain('diff from manifests needs --owner');
}, 60_000);
