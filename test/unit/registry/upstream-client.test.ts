// The upstream client's failure handling against a local stand-in that answers the way
// the registry does when it fails (the real registry is in test/e2e/publisher.test.ts).

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RegistryError } from '../../../src/registry/client.ts';
import { UpstreamRegistryClient, problemLine, retryAfterSeconds } from '../../../src/registry/upstream/client.ts';
import { loadEd25519Key } from '../../../src/registry/upstream/auth.ts';
import { SERVER_SCHEMA_URL, type ServerEntry } from '../../../src/planner/server-entry.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;
let server: Server;
let baseUrl: string;
let handlers: Handler[];
let seen: { method: string; url: string; authorization?: string; body: string }[];
let dir: string;

const ENTRY = { $schema: SERVER_SCHEMA_URL, name: 'com.x/a', description: 'd', version: '1.0.0', remotes: [], _meta: {} } as unknown as ServerEntry;
const OK_VERSION = JSON.stringify({ server: { name: 'com.x/a', version: '1.0.0' }, _meta: { 'io.modelcontextprotocol.registry/official': { status: 'active', isLatest: true } } });
const login = (token = 'tok-1', expiresIn = 300): Handler => (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ registry_token: token, expires_at: Math.floor(Date.now() / 1000) + expiresIn }));
const answer = (status: number, body: string, headers: Record<string, string> = {}): Handler => (_req, res) => res.writeHead(status, { 'content-type': status < 300 ? 'application/json' : 'application/problem+json', ...headers }).end(body);

beforeEach(async () => {
  handlers = [];
  seen = [];
  dir = mkdtempSync(join(tmpdir(), 'upstream-client-'));
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}), body });
      const handler = handlers.shift();
      if (handler) handler(req, res, body);
      else res.writeHead(500).end('no handler');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

function client(extra: Partial<ConstructorParameters<typeof UpstreamRegistryClient>[0]> = {}) {
  const waits: number[] = [];
  const c = new UpstreamRegistryClient({ baseUrl, auth: { mode: 'none' }, sleep: async (ms) => void waits.push(ms), ...extra });
  return { c, waits };
}

describe('UpstreamRegistryClient failures', () => {
  it('one line from problem+json, and a 400 is not retried', async () => {
    handlers.push(login(), answer(400, JSON.stringify({ title: 'Bad Request', status: 400, detail: 'Failed to publish server', errors: [{ message: 'remote URL https://a/mcp is already used by server com.x/b', location: 'body' }] })));
    const { c } = client();
    const error = (await c.publish(ENTRY).catch((e) => e)) as RegistryError;
    expect(error).toBeInstanceOf(RegistryError);
    expect(error.message).toBe('publish com.x/a@1.0.0: 400 Bad Request: Failed to publish server: remote URL https://a/mcp is already used by server com.x/b');
    expect(error.retryable).toBe(false);
    expect(seen.filter((r) => r.url === '/v0.1/publish')).toHaveLength(1);
  });

  it('429 with Retry-After and 503 are retried, honouring Retry-After, then succeed', async () => {
    handlers.push(login(), answer(429, '{"title":"Too Many Requests","status":429}', { 'retry-after': '7' }), answer(503, 'down'), answer(200, OK_VERSION));
    const { c, waits } = client();
    const version = await c.publish(ENTRY);
    expect(version).toMatchObject({ status: 'active', isLatest: true });
    expect(waits[0]).toBe(7_000);
    expect(waits).toHaveLength(2);
  });

  it('gives up after maxAttempts with a retryable error', async () => {
    handlers.push(login(), answer(502, ''), answer(502, ''), answer(502, ''));
    const { c } = client({ maxAttempts: 3 });
    const error = (await c.publish(ENTRY).catch((e) => e)) as RegistryError;
    expect(error.retryable).toBe(true);
    expect(error.status).toBe(502);
    expect(seen.filter((r) => r.url === '/v0.1/publish')).toHaveLength(3);
  });

  it('a refused connection is retryable', async () => {
    const { c } = client({ baseUrl: 'http://127.0.0.1:1', maxAttempts: 2 });
    const error = (await c.versionsOf('com.x/a').catch((e) => e)) as RegistryError;
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/^versions: http:\/\/127\.0\.0\.1:1 unreachable: \S+/);
  });

  it('a 401 logs in again once and retries; a second 401 is an error, no loop', async () => {
    handlers.push(login('tok-1'), answer(401, '{"title":"Unauthorized","status":401,"detail":"Invalid or expired Registry JWT token"}'), login('tok-2'), answer(200, OK_VERSION));
    const { c } = client();
    await c.publish(ENTRY);
    expect(seen.filter((r) => r.url === '/v0.1/publish').map((r) => r.authorization)).toEqual(['Bearer tok-1', 'Bearer tok-2']);
    handlers.push(answer(401, '{"status":401,"detail":"Invalid or expired Registry JWT token tok-2"}'), login('tok-3'), answer(401, '{"status":401,"detail":"no tok-3"}'));
    const error = (await c.publish(ENTRY).catch((e) => e)) as RegistryError;
    expect(error.status).toBe(401);
    expect(error.message).not.toMatch(/tok-3/);
    expect(seen.filter((r) => r.url === '/v0.1/auth/none')).toHaveLength(3);
  });

  it('refreshes the token before it expires; concurrent requests share one login', async () => {
    handlers.push(login('short', 30), answer(200, OK_VERSION), answer(200, OK_VERSION), login('next', 300), answer(200, OK_VERSION));
    const { c } = client();
    await Promise.all([c.publish(ENTRY), c.publish(ENTRY)]);
    expect(seen.filter((r) => r.url === '/v0.1/auth/none')).toHaveLength(1);
    await c.publish(ENTRY); // 30 s left < 60 s refresh margin
    expect(seen.at(-1)!.authorization).toBe('Bearer next');
  });

  it('lists by prefix across pages, keeps only names with the prefix, refuses short prefixes', async () => {
    const page = (names: string[], next?: string) => answer(200, JSON.stringify({ servers: names.map((name) => ({ server: { name, version: '1.0.0' }, _meta: {} })), metadata: next ? { nextCursor: next } : {} }));
    handlers.push(page(['com.x/a', 'io.com.x/zz'], 'c1'), page(['com.x/b'], 'c2'), page(['com.x/c']));
    const { c } = client();
    expect((await c.listByPrefix('com.x/')).map((v) => v.server.name)).toEqual(['com.x/a', 'com.x/b', 'com.x/c']);
    expect(seen.map((r) => new URL(r.url, baseUrl).searchParams.get('cursor'))).toEqual([null, 'c1', 'c2']);
    expect(new URL(seen[0]!.url, baseUrl).searchParams.get('include_deleted')).toBe('true');
    await expect(c.listByPrefix('co')).rejects.toThrow(/at least 3 characters/);
  });

  it('URL-encodes names in paths; 404 on versions is no versions', async () => {
    handlers.push(answer(404, '{"title":"Not Found","status":404,"detail":"Server not found"}'));
    const { c } = client();
    expect(await c.versionsOf('com.x/a b')).toEqual([]);
    expect(seen[0]!.url).toBe('/v0.1/servers/com.x%2Fa%20b/versions?include_deleted=true');
  });

  it('dns auth signs the timestamp with the key from the file (hex seed or PEM)', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const seedHex = (privateKey.export({ format: 'der', type: 'pkcs8' }) as Buffer).subarray(-32).toString('hex');
    for (const content of [pem, `${seedHex}\n`]) {
      const keyFile = join(dir, 'key');
      writeFileSync(keyFile, content);
      handlers.push(login('dns-token'), answer(200, OK_VERSION));
      const { c } = client({ auth: { mode: 'dns', keyFile, domain: 'example.com' } });
      await c.publish(ENTRY);
      const auth = seen.filter((r) => r.url === '/v0.1/auth/dns').at(-1)!;
      const body = JSON.parse(auth.body) as { domain: string; timestamp: string; signed_timestamp: string };
      expect(body.domain).toBe('example.com');
      expect(body.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(verify(null, Buffer.from(body.timestamp), createPublicKey(loadEd25519Key(content)), Buffer.from(body.signed_timestamp, 'hex'))).toBe(true);
      expect(verify(null, Buffer.from(body.timestamp), createPublicKey(privateKey), Buffer.from(body.signed_timestamp, 'hex'))).toBe(true);
    }
  });

  it('token auth reads the file; its permissions give the publish patterns', async () => {
    const payload = Buffer.from(JSON.stringify({ exp: Math.floor(Date.now() / 1000) + 600, permissions: [{ action: 'publish', resource: 'com.x.*' }, { action: 'edit', resource: '*' }] })).toString('base64url');
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, `h.${payload}.s\n`);
    const { c } = client({ auth: { mode: 'token', tokenFile } });
    expect(await c.publishPatterns()).toEqual(['com.x.*']);
    handlers.push(answer(200, OK_VERSION));
    await c.setStatus('com.x/a', '1.0.0', 'deleted');
    expect(seen[0]).toMatchObject({ method: 'PATCH', url: '/v0.1/servers/com.x%2Fa/versions/1.0.0/status', authorization: `Bearer h.${payload}.s`, body: '{"status":"deleted"}' });
  });
});

describe('helpers', () => {
  it('Retry-After as seconds or an HTTP date', () => {
    expect(retryAfterSeconds('12')).toBe(12);
    expect(retryAfterSeconds(new Date(Date.UTC(2030, 0, 1, 0, 0, 30)).toUTCString(), Date.UTC(2030, 0, 1))).toBe(30);
    expect(retryAfterSeconds('soon')).toBeUndefined();
  });

  it('a body that is not JSON is kept as text, long lines are cut', () => {
    expect(problemLine(502, 'Bad Gateway', '<html>upstream down</html>')).toBe('502 Bad Gateway: <html>upstream down</html>');
    expect(problemLine(500, 'Internal Server Error', 'x'.repeat(2000)).length).toBe(500);
  });
});
