// The ToolHive registry client against a stand-in for the ToolHive registry server
// (test/support/toolhive-registry-stand-in.ts: the real server cannot be built here), which
// follows the server's code and publish rules: 409 on a repeated version, claims per name,
// claims required and checked with authz, the registry's claims gate on reads, DELETE for
// good, the latest pointer, icons dropped and remotes reordered on the way back.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/cli/options.ts';
import { registryConfigFrom, type RegistryFlags } from '../../../src/cli/registry-options.ts';
import { contentKey } from '../../../src/diff/content.ts';
import { diffEntries } from '../../../src/diff/diff.ts';
import { ownerOf } from '../../../src/planner/ownership.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { OWNERSHIP_KEY, PUBLISHER_PROVIDED_KEY, SERVER_SCHEMA_URL, TOOLHIVE_PUBLISHER_KEY, type ServerEntry } from '../../../src/planner/server-entry.ts';
import { RegistryError, type RegistryVersion } from '../../../src/registry/client.ts';
import { createRegistryClient } from '../../../src/registry/index.ts';
import { entryClaims, withEntryClaims, type EntryClaims } from '../../../src/planner/entry-claims.ts';
import { ToolHiveRegistryClient, type ToolHiveClientOptions } from '../../../src/registry/toolhive/client.ts';
import { KEPT_FIELDS_KEY } from '../../../src/registry/toolhive/stored-document.ts';
import { startToolHiveStandIn, type ToolHiveStandIn, type ToolHiveStandInOptions } from '../../support/toolhive-registry-stand-in.ts';

let dir: string;
let standIn: ToolHiveStandIn | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'toolhive-client-'));
});

afterEach(async () => {
  await standIn?.close();
  standIn = undefined;
  rmSync(dir, { recursive: true, force: true });
});

async function start(options: ToolHiveStandInOptions = {}): Promise<ToolHiveStandIn> {
  standIn = await startToolHiveStandIn(options);
  return standIn;
}

function tokenFile(token: string): string {
  const file = join(dir, 'token');
  writeFileSync(file, `${token}\n`);
  return file;
}

function client(server: ToolHiveStandIn, extra: Partial<ToolHiveClientOptions> = {}) {
  const waits: number[] = [];
  const c = new ToolHiveRegistryClient({ baseUrl: server.url, auth: { mode: 'none' }, sleep: async (ms) => void waits.push(ms), ...extra });
  return { c, waits };
}

function entry(name: string, options: { version?: string; owner?: string; urls?: string[]; icon?: string; description?: string; claims?: EntryClaims } = {}): ServerEntry {
  const urls = options.urls ?? [`https://mcp.example.com/${name.split('/')[1]}/mcp`];
  const built: ServerEntry = {
    $schema: SERVER_SCHEMA_URL,
    name,
    description: options.description ?? `The ${name} server`,
    version: options.version ?? '1.0.0',
    ...(options.icon ? { icons: [{ src: options.icon }] } : {}),
    remotes: urls.map((url) => ({ type: 'streamable-http' as const, url })),
    _meta: {
      [PUBLISHER_PROVIDED_KEY]: {
        [TOOLHIVE_PUBLISHER_KEY]: Object.fromEntries(urls.map((url) => [url, { status: 'active', metadata: { kubernetes: { kind: 'MCPServer', namespace: 'team-a', name: 'github' } } }])),
        [OWNERSHIP_KEY]: { owner: options.owner ?? 'cluster-a', sources: [{ kind: 'MCPServer', namespace: 'team-a', name: 'github', uid: '9b0c1c6e-0000-4000-8000-000000000001' }] },
      },
    },
  } as ServerEntry;
  return withEntryClaims(built, options.claims);
}

const registryView = (versions: RegistryVersion[]) => {
  const byName = new Map<string, RegistryVersion[]>();
  for (const version of versions) byName.set(version.server.name, [...(byName.get(version.server.name) ?? []), version]);
  return byName;
};

const error = async (promise: Promise<unknown>) => (await promise.then(() => undefined, (e: unknown) => e)) as RegistryError;

describe('publish', () => {
  it('POSTs {server, claims} with the bearer token; the claims never enter the server.json', async () => {
    const server = await start({ tokens: { 'tok-a': { claims: { team: ['a', 'b'] } } }, authz: true, managedSourceClaims: { team: 'a' } });
    const { c } = client(server, { auth: { mode: 'token', tokenFile: tokenFile('tok-a') } });
    const published = await c.publish(entry('com.toolhive.k8s.team-a/github', { claims: { team: 'a' } }));
    const post = server.requests.find((r) => r.method === 'POST')!;
    expect(post).toMatchObject({ path: '/v1/entries', authorization: 'Bearer tok-a' });
    const body = JSON.parse(post.body) as { server: Record<string, unknown>; claims: unknown };
    expect(body.claims).toEqual({ team: 'a' });
    expect(JSON.stringify(body.server)).not.toMatch(/"team"/);
    expect(server.entries.get('com.toolhive.k8s.team-a/github')?.claims).toEqual({ team: 'a' });
    expect(published).toMatchObject({ status: 'active', isLatest: false, server: { name: 'com.toolhive.k8s.team-a/github', version: '1.0.0' } });
  });

  it('an entry without claims is sent without a claims field', async () => {
    const server = await start();
    const { c } = client(server);
    await c.publish(entry('com.toolhive.k8s.team-a/github'));
    expect(Object.keys(JSON.parse(server.requests[0]!.body) as object)).toEqual(['server']);
  });

  it('claims survive the diff spreading the entry into a new version', () => {
    const planned = entry('com.x/a', { claims: { team: 'a' } });
    const next = { ...planned, version: '1.0.1-0.1' };
    expect(entryClaims(next)).toEqual({ team: 'a' });
    expect(contentKey(next)).toBe(contentKey(withEntryClaims({ ...planned }, undefined)));
  });

  it('a repeated version of another owner is a 409 with its owner, not retried', async () => {
    const server = await start();
    const { c } = client(server);
    await c.publish(entry('com.x/a', { owner: 'cluster-b' }));
    const refused = await error(c.publish(entry('com.x/a', { owner: 'cluster-a' })));
    expect(refused).toBeInstanceOf(RegistryError);
    expect(refused.status).toBe(409);
    expect(refused.retryable).toBe(false);
    expect(refused.message).toBe('publish com.x/a@1.0.0: 409 Conflict: version already exists: com.x/a@1.0.0; that version belongs to owner cluster-b');
    expect(server.requests.filter((r) => r.method === 'POST')).toHaveLength(2);
  });

  it('an answer lost after the server stored the version: the retry meets 409, reads it back, and it is ours', async () => {
    const server = await start();
    const { c } = client(server);
    server.loseNextAnswers(1);
    const published = await c.publish(entry('com.x/a'));
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /v1/entries',
      'POST /v1/entries',
      'GET /registry/default/v0.1/servers/com.x%2Fa/versions/1.0.0',
    ]);
    expect(ownerOf(published.server)).toBe('cluster-a');
    expect(server.entries.get('com.x/a')?.versions.size).toBe(1);
  });

  it('a 409 for a version the registry does not show names the likely cause: the managed source is not in that registry', async () => {
    const server = await start({ registriesWithoutManagedSource: ['public'] });
    await client(server).c.publish(entry('com.x/a'));
    const refused = await error(client(server, { registryName: 'public' }).c.publish(entry('com.x/a')));
    expect(refused.status).toBe(409);
    expect(refused.retryable).toBe(false);
    expect(refused.message).toBe('publish com.x/a@1.0.0: 409 Conflict: version already exists: com.x/a@1.0.0; registry public does not show it to this token (is the managed source one of its sources? do the entry\'s claims hide it?)');
  });

  it('claims mismatch: a name whose versions are all ours takes the new claims, then the publish is made once more', async () => {
    const server = await start();
    const { c } = client(server);
    await c.publish(entry('com.x/a', { claims: { team: 'a' } }));
    const published = await c.publish(entry('com.x/a', { version: '1.0.1-0.1', claims: { team: ['a', 'b'] } }));
    expect(published.server.version).toBe('1.0.1-0.1');
    expect(server.entries.get('com.x/a')?.claims).toEqual({ team: ['a', 'b'] });
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /v1/entries',
      'POST /v1/entries',
      'GET /registry/default/v0.1/servers/com.x%2Fa/versions',
      'PUT /v1/entries/server/com.x%2Fa/claims',
      'POST /v1/entries',
    ]);
    expect(JSON.parse(server.requests[3]!.body)).toEqual({ claims: { team: ['a', 'b'] } });
  });

  it('claims mismatch on a name that holds another owner\'s version: the claims are left alone', async () => {
    const server = await start();
    const { c } = client(server);
    await c.publish(entry('com.x/a', { owner: 'cluster-b', claims: { team: 'b' } }));
    const refused = await error(c.publish(entry('com.x/a', { version: '2.0.0', claims: { team: 'a' } })));
    expect(refused.status).toBe(409);
    expect(refused.message).toBe('publish com.x/a@2.0.0: 409 Conflict: claims mismatch: claims do not match existing entry; com.x/a@1.0.0 is not ours, so its claims are left alone');
    expect(server.requests.some((r) => r.method === 'PUT')).toBe(false);
    expect(server.entries.get('com.x/a')?.claims).toEqual({ team: 'b' });
  });

  it('with authz on: claims are required (400) and must be within the token\'s (403); both in one line, not retried', async () => {
    const server = await start({ tokens: { 'tok-team-a': { claims: { team: 'a' } } }, authz: true, managedSourceClaims: { team: 'a' } });
    const { c } = client(server, { auth: { mode: 'token', tokenFile: tokenFile('tok-team-a') } });
    const missing = await error(c.publish(entry('com.x/a')));
    expect(missing.message).toBe('publish com.x/a@1.0.0: 400 Bad Request: claims are required when authorization is enabled');
    expect(missing.retryable).toBe(false);
    const broader = await error(c.publish(entry('com.x/a', { claims: { team: ['a', 'b'] } })));
    expect(broader.message).toBe('publish com.x/a@1.0.0: 403 Forbidden: insufficient claims: caller claims do not cover resource claims');
    expect(broader.retryable).toBe(false);
    expect(server.entries.size).toBe(0);
  });

  it('claims the server cannot take are refused before any request', async () => {
    const server = await start();
    const { c } = client(server);
    const refused = await error(c.publish(withEntryClaims(entry('com.x/a'), { team: 1 } as unknown as EntryClaims)));
    expect(refused.message).toBe('publish com.x/a@1.0.0: claim "team" must be a string or an array of strings');
    expect(server.requests).toHaveLength(0);
  });
});

describe('round trip through the read API', () => {
  it('icons and the order of remotes, which the server loses, come back; the ownership record survives; the diff sees no change', async () => {
    const server = await start();
    const { c } = client(server);
    const planned = entry('com.toolhive.k8s.team-a/github', { icon: 'https://example.com/gh.png', urls: ['https://z.example.com/mcp', 'https://a.example.com/mcp'] });
    await c.publish(planned);
    // What the server holds: no icons, remotes sorted, the kept fields in publisher-provided.
    const stored = server.entries.get('com.toolhive.k8s.team-a/github')!.versions.get('1.0.0')!.server as Record<string, unknown> & { remotes: { url: string }[] };
    expect(stored['icons']).toBeUndefined();
    expect(stored.remotes.map((r) => r.url)).toEqual(['https://a.example.com/mcp', 'https://z.example.com/mcp']);

    const read = await c.listByPrefix('com.toolhive.k8s.');
    expect(read).toHaveLength(1);
    expect(read[0]).toMatchObject({ status: 'active', isLatest: false });
    expect(contentKey(read[0]!.server)).toBe(contentKey(planned));
    expect(JSON.stringify(read[0]!.server)).not.toContain(KEPT_FIELDS_KEY);
    expect(ownerOf(read[0]!.server)).toBe('cluster-a');
    expect(diffEntries([planned], registryView(read), 'cluster-a')).toMatchObject({ writes: [], conflicts: [], unchanged: ['com.toolhive.k8s.team-a/github'] });
    // Another owner's publisher sees a conflict, not an entry of nobody.
    expect(diffEntries([{ ...planned }], registryView(read), 'cluster-b').conflicts).toEqual([
      { name: 'com.toolhive.k8s.team-a/github', owner: 'cluster-a', reason: "the registry's com.toolhive.k8s.team-a/github belongs to owner cluster-a" },
    ]);
  });

  it('a one-remote entry without icons is published as planned, with no kept fields', async () => {
    const server = await start();
    const { c } = client(server);
    await c.publish(entry('com.x/a'));
    const body = JSON.parse(server.requests[0]!.body) as { server: { _meta: Record<string, Record<string, unknown>> } };
    expect(Object.keys(body.server._meta[PUBLISHER_PROVIDED_KEY]!).sort()).toEqual([OWNERSHIP_KEY, TOOLHIVE_PUBLISHER_KEY].sort());
  });

  it('lists every page of the prefix and keeps only names that start with it (search also matches descriptions)', async () => {
    const server = await start();
    const { c } = client(server);
    for (let i = 0; i < 205; i++) {
      const name = `com.toolhive.k8s.team-a/s${String(i).padStart(3, '0')}`;
      server.entries.set(name, { claims: undefined, versions: new Map([['1.0.0', { server: { name, version: '1.0.0', description: 'd', _meta: {} }, publishedAt: '' }]]) });
    }
    server.entries.set('io.other/x', { claims: undefined, versions: new Map([['1.0.0', { server: { name: 'io.other/x', version: '1.0.0', description: 'mirrors com.toolhive.k8s.team-a', _meta: {} }, publishedAt: '' }]]) });
    const read = await c.listByPrefix('com.toolhive.k8s.');
    expect(read).toHaveLength(205);
    expect(read.some((v) => v.server.name === 'io.other/x')).toBe(false);
    const pages = server.requests.map((r) => new URL(r.path, server.url).searchParams);
    expect(pages).toHaveLength(3);
    expect(pages.map((q) => q.get('search'))).toEqual(['com.toolhive.k8s.', 'com.toolhive.k8s.', 'com.toolhive.k8s.']);
    expect(pages[0]!.get('cursor')).toBeNull();
    expect(pages[1]!.get('cursor')).toBeTruthy();
    await expect(c.listByPrefix('co')).rejects.toThrow(/at least 3 characters/);
  });

  it('versionsOf: a name the registry does not know has no versions; an unknown registry is an error, not an empty one', async () => {
    const server = await start();
    expect(await client(server).c.versionsOf('com.x/unknown')).toEqual([]);
    const wrong = await error(client(server, { registryName: 'nope' }).c.versionsOf('com.x/a'));
    expect(wrong.status).toBe(404);
    expect(wrong.message).toBe('versions: 404 Not Found: registry not found');
    expect(server.requests.at(-1)!.path).toBe('/registry/nope/v0.1/servers/com.x%2Fa/versions');
  });
});

describe('retire and status', () => {
  it('retire is DELETE of that version, answered with the document it had; a 404 (already gone) counts as done', async () => {
    const server = await start();
    const { c } = client(server);
    await c.publish(entry('com.x/a', { claims: { team: 'a' } }));
    await c.publish(entry('com.x/a', { version: '1.0.1-0.1', claims: { team: 'a' } }));
    const retired = await c.setStatus('com.x/a', '1.0.0', 'deleted');
    expect(server.requests.at(-1)).toMatchObject({ method: 'DELETE', path: '/v1/entries/server/com.x%2Fa/versions/1.0.0' });
    expect(retired).toMatchObject({ status: 'deleted', isLatest: false, server: { name: 'com.x/a', version: '1.0.0' } });
    expect(ownerOf(retired.server)).toBe('cluster-a');
    expect([...server.entries.get('com.x/a')!.versions.keys()]).toEqual(['1.0.1-0.1']);
    const again = await c.setStatus('com.x/a', '1.0.0', 'deleted');
    expect(again.status).toBe('deleted');
    expect(server.requests.filter((r) => r.method === 'DELETE')).toHaveLength(2);
  });

  it('deleting the last version frees the name and its claims: it reads as unknown and takes other claims', async () => {
    const server = await start();
    const { c } = client(server);
    await c.publish(entry('com.x/a', { claims: { team: 'a' } }));
    await c.setStatus('com.x/a', '1.0.0', 'deleted');
    expect(await c.versionsOf('com.x/a')).toEqual([]);
    await c.publish(entry('com.x/a', { claims: { team: 'b' } }));
    expect(server.entries.get('com.x/a')?.claims).toEqual({ team: 'b' });
  });

  it('active and deprecated make no request: the server has no status and ranks latest itself', async () => {
    const server = await start();
    const { c } = client(server);
    await c.publish(entry('com.x/a'));
    const before = server.requests.length;
    expect(await c.setStatus('com.x/a', '1.0.0', 'deprecated')).toMatchObject({ status: 'active', server: { name: 'com.x/a', version: '1.0.0' } });
    expect(ownerOf((await c.setStatus('com.x/a', '1.0.0', 'active')).server)).toBe('cluster-a');
    expect(server.requests).toHaveLength(before);
  });

  it('publish patterns: none (ToolHive tokens carry roles and claims, not name patterns)', async () => {
    const server = await start();
    expect(await client(server).c.publishPatterns()).toBeUndefined();
    expect(server.requests).toHaveLength(0);
  });
});

describe('failures', () => {
  it('503 and 429 with Retry-After are retried, honouring Retry-After, then succeed', async () => {
    const server = await start();
    const { c, waits } = client(server);
    server.failNext(1, 429, '7');
    server.failNext(1, 503);
    await c.publish(entry('com.x/a'));
    expect(waits).toHaveLength(2);
    expect(waits[0]).toBe(7_000);
    expect(server.entries.get('com.x/a')?.versions.size).toBe(1);
  });

  it('gives up after maxAttempts with a retryable error naming the status', async () => {
    const server = await start();
    const { c } = client(server, { maxAttempts: 3 });
    server.failNext(3, 503);
    const failed = await error(c.setStatus('com.x/a', '1.0.0', 'deleted'));
    expect(failed.retryable).toBe(true);
    expect(failed.status).toBe(503);
    expect(failed.message).toBe('delete com.x/a@1.0.0: 503 Service Unavailable: service unavailable');
    expect(server.requests).toHaveLength(3);
  });

  it('a refused connection is retryable', async () => {
    const { c } = client({ url: 'http://127.0.0.1:1' } as ToolHiveStandIn, { maxAttempts: 2 });
    const failed = await error(c.listByPrefix('com.x/'));
    expect(failed.retryable).toBe(true);
    expect(failed.message).toMatch(/^list: http:\/\/127\.0\.0\.1:1 unreachable: \S+/);
  });

  it('no token for a server with auth on: 401 in one line, not retried', async () => {
    const server = await start({ tokens: { 'tok-any': {} } });
    const failed = await error(client(server).c.listByPrefix('com.x/'));
    expect(failed.status).toBe(401);
    expect(failed.retryable).toBe(false);
    expect(failed.message).toBe('list: 401 Unauthorized: missing or malformed authorization header');
  });

  it('a 401 reads the token file again once (a rotated Secret), and never loops', async () => {
    const server = await start({ tokens: { fresh: {} } });
    const file = tokenFile('stale');
    const { c } = client(server, { auth: { mode: 'token', tokenFile: file } });
    const refused = await error(c.listByPrefix('com.x/'));
    expect(refused.status).toBe(401);
    expect(server.requests.map((r) => r.authorization)).toEqual(['Bearer stale']);
    writeFileSync(file, 'fresh\n');
    expect(await c.listByPrefix('com.x/')).toEqual([]);
    expect(server.requests.map((r) => r.authorization)).toEqual(['Bearer stale', 'Bearer stale', 'Bearer fresh']);
  });

  it('the role and the token never reach a message or a log line', async () => {
    const server = await start({ tokens: { 'secret-token-123': { manageEntries: false, claims: { team: 'a' } } }, authz: true });
    const lines = new PassThrough();
    let logged = '';
    lines.on('data', (chunk: Buffer) => (logged += chunk.toString()));
    const logger = createLogger({ level: 'debug', destination: lines });
    const { c } = client(server, { auth: { mode: 'token', tokenFile: tokenFile('secret-token-123') }, logger });
    server.failNext(1, 503);
    const refused = await error(c.publish(entry('com.x/a', { claims: { team: 'a' } })));
    expect(refused.message).toBe('publish com.x/a@1.0.0: 403 Forbidden: forbidden: insufficient permissions');
    expect(logged).toContain('registry request failed; retrying');
    expect(`${logged}${refused.message}`).not.toContain('secret-token-123');
  });

  it('a missing token file is a retryable auth error (a Secret not mounted yet)', async () => {
    const server = await start({ tokens: { 'tok-any': {} } });
    const failed = await error(client(server, { auth: { mode: 'token', tokenFile: join(dir, 'absent') } }).c.listByPrefix('com.x/'));
    expect(failed.retryable).toBe(true);
    expect(failed.message).toMatch(/^registry token: ENOENT/);
    expect(server.requests).toHaveLength(0);
  });
});

describe("the registry's claims (authorization on)", () => {
  const notCovered = (operation: string, registry: string) =>
    `${operation}: 403 Forbidden: forbidden: insufficient claims for registry; the token's claims do not cover registry ${registry} (with authorization on, a registry without claims is open to super-admins only): ` +
    `set registries[].claims of ${registry} to claims the token carries, or use --toolhive-registry NAME of a registry the token covers`;

  it('a registry whose claims the token does not cover: every read is a 403 in one line naming the registry and the fix, not retried', async () => {
    const server = await start({
      tokens: { 'tok-a': { claims: { team: 'a' } } },
      authz: true,
      managedSourceClaims: { team: 'a' },
      registries: ['default', 'team-a'],
      registryClaims: { default: { team: 'b' }, 'team-a': { team: ['a', 'c'] } },
    });
    const { c, waits } = client(server, { auth: { mode: 'token', tokenFile: tokenFile('tok-a') } });
    const list = await error(c.listByPrefix('com.x/'));
    expect(list).toBeInstanceOf(RegistryError);
    expect(list).toMatchObject({ status: 403, retryable: false, message: notCovered('list', 'default') });
    expect(await error(c.versionsOf('com.x/a'))).toMatchObject({ status: 403, retryable: false, message: notCovered('versions', 'default') });
    expect(server.requests).toHaveLength(2);
    expect(waits).toEqual([]);
    // Writes do not pass the registry's gate; the read-back of a repeated version does.
    await c.publish(entry('com.x/a', { claims: { team: 'a' } }));
    const again = await error(c.publish(entry('com.x/a', { claims: { team: 'a' } })));
    expect(again).toMatchObject({ status: 403, retryable: false, message: notCovered('version com.x/a@1.0.0', 'default') });
    // A registry the token covers (one of its values is enough) reads what was published.
    const covered = client(server, { auth: { mode: 'token', tokenFile: tokenFile('tok-a') }, registryName: 'team-a' }).c;
    expect((await covered.listByPrefix('com.x/')).map((v) => `${v.server.name}@${v.server.version}`)).toEqual(['com.x/a@1.0.0']);
  });

  it('a registry without claims is open to super-admins only (default-deny)', async () => {
    const server = await start({ tokens: { admin: { superAdmin: true }, 'tok-a': { claims: { team: 'a' } } }, authz: true });
    const denied = await error(client(server, { auth: { mode: 'token', tokenFile: tokenFile('tok-a') } }).c.listByPrefix('com.x/'));
    expect(denied).toMatchObject({ status: 403, message: notCovered('list', 'default') });
    expect(await client(server, { auth: { mode: 'token', tokenFile: tokenFile('admin') } }).c.listByPrefix('com.x/')).toEqual([]);
  });

  it('without authz (or anonymous) there is no gate: the registry claims are not checked', async () => {
    const server = await start({ tokens: { 'tok-a': { claims: { team: 'a' } } }, registryClaims: { default: { team: 'b' } } });
    expect(await client(server, { auth: { mode: 'token', tokenFile: tokenFile('tok-a') } }).c.listByPrefix('com.x/')).toEqual([]);
  });
});

describe('the stand-in, as the server', () => {
  const get = async (server: ToolHiveStandIn, path: string) => {
    const response = await fetch(`${server.url}${path}`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> & { server?: { version: string }; servers?: { server: { version: string } }[] } };
  };
  const latestOf = async (server: ToolHiveStandIn) => (await get(server, '/registry/default/v0.1/servers/com.x%2Fa/versions/latest')).body.server?.version;

  it('versions/latest and ?version=latest give the latest pointer: a newer publish moves it, an older one not; deleting it re-points to the highest', async () => {
    const server = await start();
    const { c } = client(server);
    for (const version of ['1.0.0', '2.0.0', '1.5.0']) await c.publish(entry('com.x/a', { version }));
    expect(await latestOf(server)).toBe('2.0.0');
    const listed = await get(server, '/registry/default/v0.1/servers?search=com.x&version=latest');
    expect(listed.body.servers?.map((s) => s.server.version)).toEqual(['2.0.0']);
    expect((await get(server, '/registry/default/v0.1/servers?version=1.5.0')).body.servers?.map((s) => s.server.version)).toEqual(['1.5.0']);
    await c.setStatus('com.x/a', '2.0.0', 'deleted');
    expect(await latestOf(server)).toBe('1.5.0');
    await c.publish(entry('com.x/a', { version: '1.5.1-0.1' }));
    expect(await latestOf(server)).toBe('1.5.1-0.1');
    // What the publisher takes as current (the highest) is that version.
    expect(diffEntries([entry('com.x/a', { version: '1.5.1-0.1' })], registryView(await c.versionsOf('com.x/a')), 'cluster-a').owned).toMatchObject([{ current: { server: { version: '1.5.1-0.1' } } }]);
    expect((await get(server, '/registry/default/v0.1/servers/com.x%2Fb/versions/latest')).status).toBe(404);
  });

  it('keeps repository; GET .../claims answers the name\'s claims ({} without), 404 for an unknown name', async () => {
    const server = await start();
    const { c } = client(server);
    const repository = { url: 'https://github.com/example/a', source: 'github', subfolder: 'servers/a' };
    await c.publish({ ...entry('com.x/a', { claims: { team: 'a' } }), repository } as unknown as ServerEntry);
    expect((await get(server, '/registry/default/v0.1/servers/com.x%2Fa/versions/1.0.0')).body.server).toMatchObject({ repository });
    expect(await get(server, '/v1/entries/server/com.x%2Fa/claims')).toEqual({ status: 200, body: { claims: { team: 'a' } } });
    await c.publish(entry('com.x/b'));
    expect(await get(server, '/v1/entries/server/com.x%2Fb/claims')).toEqual({ status: 200, body: { claims: {} } });
    expect(await get(server, '/v1/entries/server/com.x%2Fnone/claims')).toEqual({ status: 404, body: { error: 'not found: com.x/none' } });
    expect((await get(server, '/v1/entries/widget/com.x%2Fa/claims')).status).toBe(400);
  });
});

describe('configuration', () => {
  const flags = (extra: Partial<RegistryFlags>): RegistryFlags => ({ registryUrl: 'https://thv.example.com/', registryFlavor: 'toolhive', registryAuth: 'none', ...extra });

  it('--registry-flavor toolhive with token or none; the registry defaults to "default"', () => {
    expect(registryConfigFrom(flags({ registryAuth: 'token', registryTokenFile: '/t' }))).toMatchObject({ url: 'https://thv.example.com', flavor: 'toolhive', auth: { mode: 'token', tokenFile: '/t' }, registryName: 'default' });
    expect(registryConfigFrom(flags({ toolhiveRegistry: 'team-a' }))).toMatchObject({ flavor: 'toolhive', auth: { mode: 'none' }, registryName: 'team-a' });
    const created = createRegistryClient(registryConfigFrom(flags({ toolhiveRegistry: 'team-a' })));
    expect(created).toBeInstanceOf(ToolHiveRegistryClient);
    expect((created as ToolHiveRegistryClient).registryName).toBe('team-a');
  });

  it('dns and http logins are refused for toolhive in one line; --toolhive-registry only with toolhive', () => {
    for (const auth of ['dns', 'http'] as const) {
      expect(() => registryConfigFrom(flags({ registryAuth: auth, registryKeyFile: '/k', registryDomain: 'example.com' }))).toThrow(
        new UsageError(`--registry-flavor toolhive takes --registry-auth token (a bearer token) or none, not ${auth} (an upstream registry login)`),
      );
    }
    expect(() => registryConfigFrom(flags({ registryFlavor: 'upstream', toolhiveRegistry: 'default' }))).toThrow('--toolhive-registry is only for --registry-flavor toolhive');
    expect(() => registryConfigFrom(flags({ toolhiveRegistry: 'a/b' }))).toThrow(/is not a registry name/);
    expect(registryConfigFrom(flags({ registryFlavor: 'upstream' }))).toEqual({ url: 'https://thv.example.com', flavor: 'upstream', auth: { mode: 'none', tokenFile: undefined, keyFile: undefined, domain: undefined } });
  });
});
