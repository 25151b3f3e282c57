// The admission webhook end to end over real HTTPS: AdmissionReview fixtures in, verdicts
// and JSONPatches out, malformed requests, internal errors, metrics, certificate rotation
// on a Secret-like volume, and graceful shutdown with a request in flight.

import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import fc from 'fast-check';
import jsonpatch from 'fast-json-patch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdmissionServer, DEFAULT_BODY_LIMIT_BYTES, type AdmissionServer, type ContractContextProvider } from '../../src/admission/server.ts';
import { EMPTY_CLUSTER } from '../../src/cluster/lookups.ts';
import { SHORT_KEYS } from '../../src/contract/keys.ts';
import { DEFAULT_CONTRACT_OPTIONS, type ContractContext } from '../../src/contract/types.ts';
import type { KubeObject } from '../../src/kubernetes/objects.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { httpsClient, type HttpsAnswer, type HttpsClient } from '../support/https-client.ts';
import { createSecretVolume, updateSecretVolume } from '../support/secret-volume.ts';
import { createThrowawayCA, type ThrowawayCA } from '../support/throwaway-pki.ts';

const P = 'toolhive.stacklok.dev/';
const emptyCluster: ContractContext = { lookups: EMPTY_CLUSTER, options: DEFAULT_CONTRACT_OPTIONS };

function fixture(name: string): any {
  return JSON.parse(readFileSync(new URL(`../fixtures/admission/${name}`, import.meta.url), 'utf8'));
}

function decodePatch(answer: HttpsAnswer): jsonpatch.Operation[] {
  const patch = answer.json.response.patch as string | undefined;
  return patch === undefined ? [] : JSON.parse(Buffer.from(patch, 'base64').toString('utf8'));
}

function reviewWith(base: any, object: KubeObject, uid = base.request.uid): any {
  return { ...base, request: { ...base.request, uid, object } };
}

/** Log lines written by the server, parsed. */
function logCapture(): { stream: Writable; lines: () => any[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, lines: () => chunks.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line)) };
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

let ca: ThrowawayCA;
let workDir: string;

beforeAll(async () => {
  ca = createThrowawayCA();
  workDir = await mkdtemp(join(tmpdir(), 'admission-server-'));
});

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

interface Harness {
  admission: AdmissionServer;
  client: HttpsClient;
  volume: string;
  logs: () => any[];
  setProvider(provider: ContractContextProvider): void;
  stop(): Promise<void>;
}

let harnessCount = 0;

async function startHarness(overrides: { certificatePollIntervalMs?: number; logLevel?: 'info' | 'debug' } = {}): Promise<Harness> {
  const serving = ca.issue();
  const volume = join(workDir, `tls-${++harnessCount}`);
  await createSecretVolume(volume, { 'tls.crt': serving.certPem, 'tls.key': serving.keyPem });
  let provider: ContractContextProvider = () => emptyCluster;
  const capture = logCapture();
  const admission = await createAdmissionServer({
    port: 0,
    host: '127.0.0.1',
    certFile: join(volume, 'tls.crt'),
    keyFile: join(volume, 'tls.key'),
    contextProvider: () => provider(),
    logger: createLogger({ level: overrides.logLevel ?? 'info', destination: capture.stream }),
    certificatePollIntervalMs: overrides.certificatePollIntervalMs ?? 60_000,
  });
  const { port } = await admission.listen();
  const client = httpsClient(port, ca.certPem);
  return {
    admission,
    client,
    volume,
    logs: capture.lines,
    setProvider: (next) => {
      provider = next;
    },
    async stop() {
      client.close();
      await admission.shutdown();
    },
  };
}

describe('admission server over HTTPS', () => {
  let harness: Harness;
  let client: HttpsClient;

  beforeAll(async () => {
    harness = await startHarness();
    client = harness.client;
  });

  afterAll(async () => {
    await harness.stop();
  });

  it('allows a well-annotated HTTPRoute on /validate, echoing the uid', async () => {
    const answer = await client.post('/validate', fixture('httproute-create-allowed.json'));
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(answer.json).toEqual({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: {
        uid: '0df28fbd-5f5f-4c3f-9a3b-6f1a2f3c4d01',
        allowed: true,
        warnings: [
          'parentRef Gateway gateway-system/public section https: Gateway is not known (yet); attachment not checked',
          'parentRef Gateway gateway-system/internal section https-internal port 443: Gateway is not known (yet); attachment not c…',
        ],
      },
    });
  });

  it('denies a broken HTTPRoute on /validate with every error, one per line', async () => {
    const answer = await client.post('/validate', fixture('httproute-create-denied.json'));
    expect(answer.status).toBe(200);
    expect(answer.json.response.uid).toBe('7c1b2a3d-0001-4e5f-8a9b-000000000002');
    expect(answer.json.response.allowed).toBe(false);
    expect(answer.json.response.status.code).toBe(403);
    expect(answer.json.response.status.message.split('\n')).toEqual([
      `HTTPRoute mcp/docs: annotation ${P}registry-tier: "Gold" is not one of Official, Community, Partner`,
      `HTTPRoute mcp/docs: annotation ${P}registry-teir: "Official" is not a known registry annotation; did you mean registry-tier?`,
      `HTTPRoute mcp/docs: annotation ${P}registry-url: "https://docs.example.com/mcp" is not allowed on an HTTPRoute: the route's URL is derived from its parent Gateway`,
    ]);
    expect(answer.json.response.warnings).toEqual(['HTTPRoute mcp/docs: parentRef Gateway gateway-system/public: Gateway is not known (yet); attachment not checked']);
  });

  it.each(['mcpserver-create-unnormalized.json', 'httproute-update-unnormalized.json'])(
    '%s: the mutate patch applies, validates, and a second mutate has nothing to do',
    async (name) => {
      const review = fixture(name);
      const mutated = await client.post('/mutate', review);
      expect(mutated.status).toBe(200);
      expect(mutated.json.response).toMatchObject({ uid: review.request.uid, allowed: true, patchType: 'JSONPatch' });
      const patch = decodePatch(mutated);
      expect(patch.length).toBeGreaterThan(0);
      expect(patch.every((operation) => operation.op === 'replace' && operation.path.startsWith('/metadata/annotations/toolhive.stacklok.dev~1'))).toBe(true);
      const patched = jsonpatch.applyPatch(structuredClone(review.request.object), patch, true, false).newDocument;

      const validated = await client.post('/validate', reviewWith(review, patched));
      expect(validated.json.response.allowed).toBe(true);
      const again = await client.post('/mutate', reviewWith(review, patched));
      expect(again.json.response).toEqual({ uid: review.request.uid, allowed: true });
    },
  );

  it('mutate never denies, even an object /validate rejects', async () => {
    const answer = await client.post('/mutate', fixture('httproute-create-denied.json'));
    expect(answer.json.response).toEqual({ uid: '7c1b2a3d-0001-4e5f-8a9b-000000000002', allowed: true });
  });

  it.each(['httproute-delete.json', 'mcpserver-status-update.json', 'configmap-create-out-of-scope.json', 'httproute-create-unannotated.json'])(
    '%s is allowed untouched by both webhooks',
    async (name) => {
      const review = fixture(name);
      for (const path of ['/validate', '/mutate']) {
        const answer = await client.post(path, review);
        expect(answer.status, path).toBe(200);
        expect(answer.json, path).toEqual({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: true } });
      }
    },
  );

  it.each<[string, string | object, string]>([
    ['a body that is not JSON', '{"apiVersion": "admission.k8s.io/v1", ', 'the request body is not JSON'],
    ['YAML', 'apiVersion: admission.k8s.io/v1\nkind: AdmissionReview\n', 'the request body is not JSON'],
    ['a JSON string', '"AdmissionReview"', 'the body is not a JSON object'],
    ['v1beta1', { ...fixture('httproute-delete.json'), apiVersion: 'admission.k8s.io/v1beta1' }, 'apiVersion "admission.k8s.io/v1beta1" is not admission.k8s.io/v1'],
    ['another kind', { ...fixture('httproute-delete.json'), kind: 'Review' }, 'kind "Review" is not AdmissionReview'],
    ['no request', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, 'request is missing'],
    ['no uid', { ...fixture('httproute-delete.json'), request: { operation: 'DELETE' } }, 'request.uid is missing'],
  ])('answers 400 to %s, with a Status naming the problem', async (_name, body, message) => {
    for (const path of ['/validate', '/mutate']) {
      const answer = await client.post(path, body);
      expect(answer.status, path).toBe(400);
      expect(answer.json, path).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 400, reason: 'BadRequest' });
      expect(answer.json.message, path).toContain(message);
    }
  });

  it('answers 413 to a body over 3 MiB', async () => {
    const review = fixture('httproute-create-allowed.json');
    review.request.object.metadata.annotations['example.com/padding'] = 'x'.repeat(DEFAULT_BODY_LIMIT_BYTES);
    const answer = await client.post('/validate', review);
    expect(answer.status).toBe(413);
    expect(answer.json).toMatchObject({ kind: 'Status', code: 413, reason: 'RequestEntityTooLarge', message: `the request body is larger than ${DEFAULT_BODY_LIMIT_BYTES} bytes` });
    // The connection and the server are still fine.
    expect((await client.post('/validate', fixture('httproute-delete.json'))).status).toBe(200);
  });

  it('accepts a body just under 3 MiB', async () => {
    const review = fixture('httproute-create-allowed.json');
    const size = Buffer.byteLength(JSON.stringify(review));
    review.request.object.metadata.annotations['example.com/padding'] = 'x'.repeat(DEFAULT_BODY_LIMIT_BYTES - size - 100);
    const answer = await client.post('/validate', review);
    expect(answer.status).toBe(200);
    expect(answer.json.response.allowed).toBe(true);
  });

  it('answers 500 when judging fails, so the API server applies its failurePolicy, and keeps serving', async () => {
    harness.setProvider(() => {
      throw new Error('informer caches are gone');
    });
    try {
      for (const path of ['/validate', '/mutate']) {
        const answer = await client.post(path, fixture('httproute-create-allowed.json'));
        expect(answer.status, path).toBe(500);
        expect(answer.json, path).toMatchObject({ kind: 'Status', code: 500, reason: 'InternalError', message: 'the webhook could not judge the object: informer caches are gone' });
      }
    } finally {
      harness.setProvider(() => emptyCluster);
    }
    expect(harness.logs().some((line) => line.level === 'error' && line.err?.message === 'informer caches are gone')).toBe(true);
    expect((await client.post('/validate', fixture('httproute-create-allowed.json'))).status).toBe(200);
  });

  it('allows with a warning when judging throws, logs the stack at debug and counts it', async () => {
    const debugHarness = await startHarness({ logLevel: 'debug' });
    try {
      // The seam: a context whose options throw when the judge reads them.
      const broken = { lookups: EMPTY_CLUSTER, get options(): never { throw new Error('judge exploded'); } } as unknown as ContractContext;
      debugHarness.setProvider(() => broken);
      for (const path of ['/validate', '/mutate']) {
        const answer = await debugHarness.client.post(path, fixture('httproute-create-denied.json'));
        expect(answer.status, path).toBe(200);
        expect(answer.json.response, path).toEqual({
          uid: fixture('httproute-create-denied.json').request.uid,
          allowed: true,
          warnings: ['allowed unjudged: the admission webhook hit an internal error while judging this object (see its debug log)'],
        });
      }
      const logged = debugHarness.logs().filter((line) => line.level === 'debug' && line.err?.message === 'judge exploded');
      expect(logged).toHaveLength(2);
      expect(logged[0].err.stack).toContain('judge exploded');
      const text = (await debugHarness.client.get('/metrics')).text;
      expect(text).toContain('mcp_registry_export_admission_internal_errors_total{operation="validate",kind="HTTPRoute"} 1');
      expect(text).toContain('mcp_registry_export_admission_internal_errors_total{operation="mutate",kind="HTTPRoute"} 1');
    } finally {
      await debugHarness.stop();
    }
  });

  it('accepts the ?timeout= query the API server appends to webhook URLs', async () => {
    const answer = await client.post('/validate?timeout=10s', fixture('httproute-create-denied.json'));
    expect(answer.status).toBe(200);
    expect(answer.json.response.allowed).toBe(false);
  });

  it('answers unparsable HTTP with 400 and keeps serving', async () => {
    const port = (harness.admission.server.address() as { port: number }).port;
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = tlsConnect({ host: '127.0.0.1', port, ca: ca.certPem, servername: 'localhost' }, () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
      let text = '';
      socket.on('data', (chunk) => (text += chunk));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400 Bad Request/);
    expect((await client.get('/healthz')).status).toBe(200);
  });

  it('serves the same admission routes from the express app alone (the HTTPS server only short-cuts them)', async () => {
    const { createServer } = await import('node:http');
    const plain = createServer(harness.admission.app).listen(0, '127.0.0.1');
    await new Promise((resolve) => plain.once('listening', resolve));
    try {
      const body = JSON.stringify(fixture('httproute-create-denied.json'));
      const { port } = plain.address() as { port: number };
      const answer = await fetch(`http://127.0.0.1:${port}/validate?timeout=10s`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
      expect(answer.status).toBe(200);
      expect(((await answer.json()) as any).response.allowed).toBe(false);
    } finally {
      plain.closeAllConnections();
      await new Promise((resolve) => plain.close(resolve));
    }
  });

  it('answers 404 with a hint on unknown routes', async () => {
    const answer = await client.post('/admit', fixture('httproute-delete.json'));
    expect(answer.status).toBe(404);
    expect(answer.json.message).toContain('POST /validate and POST /mutate');
  });

  it('serves /healthz and /readyz', async () => {
    expect(await client.get('/healthz')).toMatchObject({ status: 200, text: 'ok\n' });
    expect(await client.get('/readyz')).toMatchObject({ status: 200, text: 'ok\n' });
  });

  it('records every answer in /metrics', async () => {
    const metric = async (pattern: RegExp): Promise<number> => {
      const text = (await client.get('/metrics')).text;
      const match = text.match(pattern);
      return match ? Number(match[1]) : 0;
    };
    const allowed = /mcp_registry_export_admission_requests_total\{operation="validate",kind="HTTPRoute",verdict="allowed"\} (\d+)/;
    const denied = /mcp_registry_export_admission_requests_total\{operation="validate",kind="HTTPRoute",verdict="denied"\} (\d+)/;
    const patched = /mcp_registry_export_admission_requests_total\{operation="mutate",kind="MCPServer",verdict="patched"\} (\d+)/;
    const other = /mcp_registry_export_admission_requests_total\{operation="mutate",kind="other",verdict="allowed"\} (\d+)/;
    const badRequest = /mcp_registry_export_admission_requests_total\{operation="validate",kind="unknown",verdict="bad_request"\} (\d+)/;
    const entry = /mcp_registry_export_admission_requests_total\{operation="mutate",kind="MCPServerEntry",verdict="patched"\} (\d+)/;
    const validateCount = /mcp_registry_export_admission_duration_seconds_count\{operation="validate"\} (\d+)/;
    const fastValidations = /mcp_registry_export_admission_duration_seconds_bucket\{le="0.1",operation="validate"\} (\d+)/;
    const before = await Promise.all([allowed, denied, patched, other, badRequest, validateCount, entry].map(metric));

    await client.post('/validate', fixture('httproute-create-allowed.json'));
    await client.post('/validate', fixture('httproute-create-denied.json'));
    await client.post('/mutate', fixture('mcpserver-create-unnormalized.json'));
    await client.post('/mutate', fixture('configmap-create-out-of-scope.json'));
    await client.post('/validate', 'not json');
    await client.post('/mutate', fixture('mcpserverentry-create-unnormalized.json'));

    const after = await Promise.all([allowed, denied, patched, other, badRequest, validateCount, entry].map(metric));
    expect(after.map((value, index) => value - before[index]!)).toEqual([1, 1, 1, 1, 1, 3, 1]);
    expect(await metric(fastValidations)).toBeGreaterThan(0);
    expect((await client.get('/metrics')).headers['content-type']).toMatch(/^text\/plain; version=0.0.4/);
  });
});

describe('property: arbitrary annotations', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness.stop();
  });

  const value = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.constantFrom(' TRUE ', 'true', 'official', ' Partner', 'a, B,,a ', 'Web, HTTP ,web', 'v1.2.3', 'latest', 'https://x.example.com/mcp', '[]', '{"a":["b"]}', '\u0000', ''),
  );
  const key = fc.oneof(
    fc.constantFrom(...SHORT_KEYS).map((short) => P + short),
    fc.string({ maxLength: 16 }).map((suffix) => `${P}registry-${suffix}`),
    fc.constantFrom('example.com/a~b', 'example.com/x/y', 'plain'),
  );
  const object = fc
    .tuple(
      fc.constantFrom(
        { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', spec: { parentRefs: [{ name: 'public' }], rules: [{ backendRefs: [{ name: 'mcp-a-proxy', port: 8080 }] }] } },
        { apiVersion: 'toolhive.stacklok.dev/v1alpha1', kind: 'MCPServer', spec: { image: 'x' } },
        { apiVersion: 'toolhive.stacklok.dev/v1beta1', kind: 'MCPRemoteProxy', spec: {} },
      ),
      fc.dictionary(key, value, { maxKeys: 8 }),
    )
    .map(([shape, annotations]): KubeObject => ({ ...shape, metadata: { name: 'subject', namespace: 'mcp', annotations } }));

  it('validate never answers 500 and mutate converges in one patch', async () => {
    const base = fixture('httproute-create-allowed.json');
    await fc.assert(
      fc.asyncProperty(object, async (subject) => {
        const review = reviewWith(base, subject);
        const validated = await harness.client.post('/validate', review);
        expect(validated.status).toBe(200);
        expect(typeof validated.json.response.allowed).toBe('boolean');

        const mutated = await harness.client.post('/mutate', review);
        expect(mutated.status).toBe(200);
        expect(mutated.json.response.allowed).toBe(true);
        const patch = decodePatch(mutated);
        const once = jsonpatch.applyPatch(structuredClone(subject), patch, true, false).newDocument;
        const twice = jsonpatch.applyPatch(structuredClone(once), patch, true, false).newDocument;
        expect(twice).toEqual(once);
        const again = await harness.client.post('/mutate', reviewWith(base, once));
        expect(again.json.response.patch).toBeUndefined();
      }),
      { numRuns: 150 },
    );
  });
});

describe('serving certificate rotation', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness.stop();
  });

  it('new connections get the new certificate after a Secret-style swap; a bad pair keeps the old one', async () => {
    const first = await harness.client.freshGet('/healthz');
    expect(first.status).toBe(200);

    const rotated = ca.issue({ commonName: 'rotated' });
    expect(rotated.serialNumber).not.toBe(first.serialNumber);
    await updateSecretVolume(harness.volume, { 'tls.crt': rotated.certPem, 'tls.key': rotated.keyPem });
    await eventually(async () => (await harness.client.freshGet('/healthz')).serialNumber === rotated.serialNumber);

    // A certificate with someone else's key must not replace a working pair.
    const stranger = ca.issue({ commonName: 'stranger' });
    await updateSecretVolume(harness.volume, { 'tls.crt': stranger.certPem, 'tls.key': rotated.keyPem });
    await eventually(async () => harness.logs().some((line) => line.msg?.includes('new serving certificate rejected')));
    expect((await harness.client.freshGet('/healthz')).serialNumber).toBe(rotated.serialNumber);
    const rejected = harness.logs().find((line) => line.msg?.includes('new serving certificate rejected'));
    expect(rejected.err.message).toContain('do not form a usable pair');

    // The next good pair is picked up again.
    const third = ca.issue({ commonName: 'third' });
    await updateSecretVolume(harness.volume, { 'tls.crt': third.certPem, 'tls.key': third.keyPem });
    await eventually(async () => (await harness.client.freshGet('/healthz')).serialNumber === third.serialNumber);
  });

  it('falls back to polling when no file event arrives', async () => {
    const polled = await startHarness({ certificatePollIntervalMs: 200 });
    try {
      const next = ca.issue({ commonName: 'polled' });
      // Written in place (same inode, no rename), then checked by the poller or the watcher.
      const { writeFile } = await import('node:fs/promises');
      const { readlink } = await import('node:fs/promises');
      const data = join(polled.volume, await readlink(join(polled.volume, '..data')));
      await writeFile(join(data, 'tls.key'), next.keyPem);
      await writeFile(join(data, 'tls.crt'), next.certPem);
      await eventually(async () => (await polled.client.freshGet('/healthz')).serialNumber === next.serialNumber);
    } finally {
      await polled.stop();
    }
  });
});

describe('graceful shutdown', () => {
  it('finishes the request in flight, closes idle keep-alive connections and refuses new ones', async () => {
    const harness = await startHarness();
    const port = (harness.admission.server.address() as { port: number }).port;
    // An idle keep-alive connection that must not hold the shutdown up.
    expect((await harness.client.get('/healthz')).status).toBe(200);

    const body = Buffer.from(JSON.stringify(fixture('httproute-create-denied.json')));
    const inFlight = new Promise<{ status: number; json: any }>((resolve, reject) => {
      const req = httpsRequest(
        { host: '127.0.0.1', port, method: 'POST', path: '/validate', ca: ca.certPem, agent: false, headers: { 'content-type': 'application/json', 'content-length': String(body.length) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString()) }));
        },
      );
      req.on('error', reject);
      // Half the body now, the rest once shutdown has begun.
      req.write(body.subarray(0, 100));
      setTimeout(() => {
        shutdown = harness.admission.shutdown().then(() => {
          stoppedAt = Date.now();
        });
        setTimeout(() => {
          bodyEndedAt = Date.now();
          req.end(body.subarray(100));
        }, 200);
      }, 200);
    });
    let shutdown: Promise<void> | undefined;
    let stoppedAt = 0;
    let bodyEndedAt = 0;

    const started = Date.now();
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(answer.json.response.allowed).toBe(false);
    expect(shutdown).toBeDefined();
    await shutdown;
    // Shutdown began before the body was complete and ended only after it was answered.
    expect(stoppedAt).toBeGreaterThanOrEqual(bodyEndedAt);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(harness.admission.server.listening).toBe(false);
    await expect(harness.client.freshGet('/healthz')).rejects.toThrow(/ECONNREFUSED/);
    harness.client.close();
  });

  it('drains for the delay: /readyz fails at once, reviews on new connections are answered and close their connection, then it stops', async () => {
    const harness = await startHarness();
    const review = fixture('httproute-create-denied.json');
    expect((await harness.client.get('/readyz')).status).toBe(200);
    const began = Date.now();
    let stoppedAt = 0;
    const shutdown = harness.admission.shutdown(1_500).then(() => (stoppedAt = Date.now()));
    // A second call (a second signal) neither restarts nor shortens the drain.
    expect(harness.admission.shutdown()).toBe(harness.admission.shutdown(1_500));

    const ready = await harness.client.freshGet('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.text).toBe('shutting down\n');
    // A client the endpoint change has not reached yet: a new connection, answered in full,
    // told to reconnect (elsewhere) for the next one.
    const answer = await harness.client.post('/validate', review);
    expect(answer.status).toBe(200);
    expect(answer.json.response).toMatchObject({ uid: review.request.uid, allowed: false });
    expect(answer.headers.connection).toBe('close');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(harness.admission.server.listening).toBe(true);
    expect((await harness.client.freshGet('/healthz')).status).toBe(200);

    await shutdown;
    // A timer may fire a millisecond before Date.now() says its time is up.
    expect(stoppedAt - began).toBeGreaterThanOrEqual(1_490);
    expect(harness.admission.server.listening).toBe(false);
    await expect(harness.client.freshGet('/healthz')).rejects.toThrow(/ECONNREFUSED/);
    expect(harness.logs().map((line) => line.msg)).toEqual(
      expect.arrayContaining(['admission webhook draining: /readyz fails; reviews are still answered until the delay ends', 'admission webhook stopped']),
    );
    harness.client.close();
  });

  it('does not wait for connections that never carried a request (a client that dials ahead)', async () => {
    const harness = await startHarness();
    const port = (harness.admission.server.address() as { port: number }).port;
    // What Go's http.Transport keeps after dialing for a request another connection served.
    const spare = tlsConnect({ host: '127.0.0.1', port, ca: ca.certPem, servername: 'localhost' });
    await new Promise((resolve, reject) => spare.once('secureConnect', resolve).once('error', reject));
    const closed = new Promise((resolve) => spare.once('close', resolve));
    spare.on('error', () => {});
    const began = Date.now();
    await harness.admission.shutdown();
    await closed;
    expect(Date.now() - began).toBeLessThan(2_000);
    expect(harness.logs().map((line) => line.msg)).not.toContain('shutdown deadline reached; closing busy connections');
    harness.client.close();
  });

  it('ends the drain early when hurried (a second signal), still answering what is in flight', async () => {
    const harness = await startHarness();
    const hurry = new AbortController();
    const began = Date.now();
    const shutdown = harness.admission.shutdown(60_000, hurry.signal);
    expect((await harness.client.freshGet('/readyz')).status).toBe(503);
    hurry.abort();
    await shutdown;
    expect(Date.now() - began).toBeLessThan(5_000);
    expect(harness.admission.server.listening).toBe(false);
    expect(harness.logs().map((line) => line.msg)).toContain('drain cut short');
    harness.client.close();
  });
});
