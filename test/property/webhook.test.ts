// The admission webhook under any body: every AdmissionReview fixture mutated (fields
// replaced by any JSON value, wrong types, deleted, `__proto__`/`constructor` keys, huge
// arrays, deep nesting, the request missing) and bodies that are not reviews at all. The
// pure core answers each with a well-formed AdmissionReview carrying the request's uid, or
// refuses it with a one-line reason (a 400); it never throws (which the server turns into
// a 500). A smaller share goes over real HTTPS to the server of src/admission/server.ts,
// whose status must agree with the core's verdict: never a 5xx, never a hang.
// Mutation: its JSONPatch applies cleanly, patching twice changes nothing the second time,
// and validation judges the patched object exactly as the original.

import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import jsonpatch from 'fast-json-patch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  admitForMutation,
  admitForValidation,
  parseAdmissionReview,
  WARNING_LIMIT,
  type AdmissionRequest,
  type AdmissionReviewResponse,
} from '../../src/admission/review.ts';
import { createAdmissionServer, DEFAULT_BODY_LIMIT_BYTES, type AdmissionServer } from '../../src/admission/server.ts';
import { EMPTY_CLUSTER } from '../../src/cluster/lookups.ts';
import { ObjectIndex } from '../../src/cluster/object-index.ts';
import { SHORT_KEYS } from '../../src/contract/keys.ts';
import { DEFAULT_CONTRACT_OPTIONS, type ContractContext } from '../../src/contract/types.ts';
import type { KubeObject } from '../../src/kubernetes/objects.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { httpsClient, type HttpsAnswer, type HttpsClient } from '../support/https-client.ts';
import { createSecretVolume } from '../support/secret-volume.ts';
import { createThrowawayCA } from '../support/throwaway-pki.ts';

const SEED = 20_251_203;
const P = 'toolhive.stacklok.dev/';
const FIXTURES = new URL('../fixtures/admission/', import.meta.url);
const REVIEWS: unknown[] = readdirSync(FIXTURES)
  .filter((name) => name.endsWith('.json'))
  .sort()
  .map((name) => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')));

// A cluster with something to check against: the fixtures' Gateway, a Namespace, a rival name.
const CLUSTER: ContractContext = {
  lookups: new ObjectIndex([
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'mcp', labels: { team: 'a' } } },
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'public', namespace: 'gateway-system' },
      spec: { gatewayClassName: 'c', listeners: [{ name: 'https', port: 443, protocol: 'HTTPS', hostname: '*.company.com', allowedRoutes: { namespaces: { from: 'All' } } }] },
    },
    {
      apiVersion: 'toolhive.stacklok.dev/v1beta1',
      kind: 'MCPServer',
      metadata: { name: 'github', namespace: 'other', annotations: { [`${P}registry-export`]: 'true', [`${P}registry-name`]: 'com.toolhive.k8s.mcp/github' } },
    },
  ]),
  options: DEFAULT_CONTRACT_OPTIONS,
};
// Nothing else in the cluster: the referential checks only warn that the Gateway is unknown.
const ALONE: ContractContext = { lookups: EMPTY_CLUSTER, options: DEFAULT_CONTRACT_OPTIONS };
const CONTEXTS = [CLUSTER, { lookups: EMPTY_CLUSTER, options: { ...DEFAULT_CONTRACT_OPTIONS, referentialChecks: 'warn' as const } }];

// ---- mutated bodies ----

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every place in a JSON value: [container, key] pairs, the root's being [undefined, '']. */
function places(root: Json): [Json[] | Record<string, Json> | undefined, string | number][] {
  const found: [Json[] | Record<string, Json> | undefined, string | number][] = [[undefined, '']];
  const stack: Json[] = [root];
  while (stack.length > 0 && found.length < 5_000) {
    const value = stack.pop()!;
    if (Array.isArray(value)) value.forEach((item, index) => (found.push([value, index]), stack.push(item)));
    else if (value !== null && typeof value === 'object') for (const [key, item] of Object.entries(value)) found.push([value, key]), stack.push(item);
  }
  return found;
}

// Deep nesting is spliced in as text: JSON.stringify itself would run out of stack on it.
const DEEP = '\u0000deep:';
function deepText(depth: number): string {
  return `${'{"a":['.repeat(depth)}null${']}'.repeat(depth)}`;
}

// Keys that mean something to JavaScript, set as own properties the way JSON.parse makes them.
const TRAP_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', 'toJSON'];

const anyJson: fc.Arbitrary<Json> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json> },
  { weight: 1, arbitrary: fc.constantFrom<Json>(null, '', 0, -1, true, 'CREATE', 'DELETE', 'UPDATE', 'status', 'admission.k8s.io/v1', 'AdmissionReview', { toString: 1 }, { toJSON: 1 }, [], {}) },
  { weight: 1, arbitrary: fc.constantFrom(...TRAP_KEYS).chain((key) => fc.jsonValue({ maxDepth: 2 }).map((inner) => JSON.parse(`{${JSON.stringify(key)}: ${JSON.stringify(inner)}}`) as Json)) },
);

const edit = fc.oneof(
  fc.record({ op: fc.constant('replace' as const), at: fc.nat(), value: anyJson }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('trapKey' as const), at: fc.nat(), key: fc.constantFrom(...TRAP_KEYS), value: anyJson }),
  fc.record({ op: fc.constant('hugeArray' as const), at: fc.nat(), length: fc.integer({ min: 1_000, max: 10_000 }), value: fc.constantFrom<Json>(1, 'x', { name: 'gw' }, [], null) }),
  fc.record({ op: fc.constant('deep' as const), at: fc.nat(), depth: fc.integer({ min: 100, max: 5_000 }) }),
  fc.record({ op: fc.constant('dropRequest' as const) }),
);
type Edit = typeof edit extends fc.Arbitrary<infer T> ? T : never;

function applyEdit(root: Json, change: Edit): Json {
  if (change.op === 'dropRequest') {
    if (root && typeof root === 'object' && !Array.isArray(root)) delete root['request'];
    return root;
  }
  const all = places(root);
  const [container, key] = all[change.at % all.length]!;
  const current = container === undefined ? root : (container as Record<string | number, Json>)[key]!;
  let next: Json | undefined;
  switch (change.op) {
    case 'replace':
      next = change.value;
      break;
    case 'delete':
      next = undefined;
      break;
    case 'trapKey':
      if (current && typeof current === 'object' && !Array.isArray(current)) Object.defineProperty(current, change.key, { value: change.value, enumerable: true, configurable: true, writable: true });
      return root;
    case 'hugeArray':
      next = Array.from({ length: change.length }, () => structuredClone(change.value));
      break;
    case 'deep':
      next = `${DEEP}${change.depth}`;
      break;
  }
  if (container === undefined) return next ?? null;
  if (next === undefined) {
    if (Array.isArray(container)) container.splice(key as number, 1);
    else delete container[key as string];
  } else (container as Record<string | number, Json>)[key] = next;
  return root;
}

const mutatedBody = fc.record({ base: fc.constantFrom(...REVIEWS), edits: fc.array(edit, { minLength: 1, maxLength: 4 }) }).map(({ base, edits }) => {
  let review = structuredClone(base) as Json;
  for (const change of edits) review = applyEdit(review, change);
  return JSON.stringify(review).replace(/"\\u0000deep:(\d+)"/g, (_, depth: string) => deepText(Number(depth)));
});
// Bodies that are not AdmissionReviews to begin with.
const otherBody = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
  fc.string({ maxLength: 200 }),
  fc.constantFrom('', '{', '{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": ', 'null', '[]', '"AdmissionReview"', '{"__proto__": {"request": {"uid": "x"}}}'),
  fc.integer({ min: 1_000, max: 200_000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
);
const anyBody = fc.oneof({ weight: 5, arbitrary: mutatedBody }, { weight: 1, arbitrary: otherBody });

// ---- what a well-formed answer is ----

function expectWellFormed(review: AdmissionReviewResponse, uid: string): void {
  expect(JSON.parse(JSON.stringify(review))).toEqual(review); // what sendJson writes reads back the same
  expect(review.apiVersion).toBe('admission.k8s.io/v1');
  expect(review.kind).toBe('AdmissionReview');
  const { response } = review;
  expect(response.uid).toBe(uid);
  expect(typeof response.allowed).toBe('boolean');
  if (!response.allowed) {
    expect(response.status?.code).toBe(403);
    expect(typeof response.status?.message).toBe('string');
  }
  for (const warning of response.warnings ?? []) {
    expect(typeof warning).toBe('string');
    expect(warning.length).toBeLessThanOrEqual(WARNING_LIMIT);
    expect(warning).not.toMatch(/[\n\r\u0085\u2028\u2029]/);
  }
  if (response.patch !== undefined) {
    expect(response.patchType).toBe('JSONPatch');
    const operations = JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8')) as { op: string; path: string; value: unknown }[];
    expect(operations.length).toBeGreaterThan(0);
    for (const operation of operations) {
      expect(['add', 'replace']).toContain(operation.op);
      expect(operation.path.startsWith('/metadata/annotations/')).toBe(true);
      expect(typeof operation.value).toBe('string');
    }
  }
}

/** What the core says to one body: the 400 reason, or the uid its answers carry. */
function coreVerdict(text: string): { status: 400; problem: string } | { status: 200; uid: string } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { status: 400, problem: 'not JSON' };
  }
  const parsed = parseAdmissionReview(body);
  if (!parsed.ok) return { status: 400, problem: parsed.problem };
  for (const context of CONTEXTS) {
    expectWellFormed(admitForValidation(parsed.request, context).review, parsed.request.uid);
    expectWellFormed(admitForMutation(parsed.request, context).review, parsed.request.uid);
  }
  return { status: 200, uid: parsed.request.uid };
}

describe('the webhook core, any body', { timeout: 120_000 }, () => {
  it('answers with a well-formed review carrying the uid, or a one-line reason to refuse it; never throws', () => {
    fc.assert(
      fc.property(anyBody, (text) => {
        const verdict = coreVerdict(text);
        if (verdict.status === 400) {
          expect(verdict.problem).not.toBe('');
          expect(verdict.problem).not.toMatch(/[\n\r]/);
        }
      }),
      { seed: SEED, numRuns: 2_000 },
    );
  });

  it('regression: an apiVersion nested 20,000 deep made parseAdmissionReview overflow the stack in JSON.stringify (a 500)', () => {
    const body = JSON.parse(`{"apiVersion": ${'['.repeat(20_000)}${']'.repeat(20_000)}}`) as unknown;
    expect(parseAdmissionReview(body)).toEqual({ ok: false, problem: 'apiVersion an array is not admission.k8s.io/v1 (set admissionReviewVersions: ["v1"])' });
  });

  it('regression: request.namespace {"toString": 1} was accepted, and the message and log line that print it threw (a 500)', () => {
    const review = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', operation: 'CREATE', namespace: { toString: 1 }, object: { kind: 'HTTPRoute', metadata: { name: 'x' } } } };
    expect(parseAdmissionReview(review)).toEqual({ ok: false, problem: 'request.namespace is an object, not a string' });
    expect(parseAdmissionReview({ ...review, request: { ...review.request, namespace: 'mcp', object: { kind: 'HTTPRoute', metadata: { name: ['x'] } } } })).toEqual({
      ok: false,
      problem: 'request.object.metadata.name is an array, not a string',
    });
  });
});

// ---- mutation ----

const UNNORMALIZED: Record<string, string[]> = {
  'registry-export': ['TRUE', ' true ', 'True'],
  'registry-tier': ['official', ' COMMUNITY', 'partner '],
  'registry-tags': ['GitHub, vcs,,github', ' a1 , B2 ', 'x-y,X-Y'],
  'registry-tools': ['a, b,,a', ' search ', 'x,y,x'],
  'registry-description': ['  GitHub tools ', 'Tools for the docs\t'],
  'registry-title': [' GitHub ', 'Docs'],
  'registry-category': [' DevTools', 'vcs'],
  'registry-transport': [' Streamable-HTTP', 'SSE'],
  'registry-version': [' 1.2.3 ', 'v2.0.0-rc.1'],
  'registry-name': [' github ', 'io.github.example/tools'],
};
const ANY_VALUE = fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: 'grapheme', maxLength: 10 }), fc.constantFrom('', ' ', 'Gold', 'latest', 'a,,b'));

function annotationsArbitrary(validOnly: boolean) {
  const keys = Object.keys(UNNORMALIZED).filter((key) => key !== 'registry-transport');
  const valid = fc.dictionary(fc.constantFrom(...keys).map((key) => P + key), fc.constant(''), { maxKeys: 6 }).chain((chosen) =>
    fc.record(Object.fromEntries(Object.keys(chosen).map((key) => [key, fc.constantFrom(...UNNORMALIZED[key.slice(P.length)]!)]))),
  );
  if (validOnly) return valid;
  return fc.tuple(valid, fc.dictionary(fc.constantFrom(...SHORT_KEYS, 'registry-teir', 'tools').map((key) => P + key), ANY_VALUE, { maxKeys: 4 }), fc.dictionary(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }), { maxKeys: 3 })).map(
    ([some, any, unrelated]) => ({ ...unrelated, ...some, ...any }),
  );
}

type ReviewedKind = 'HTTPRoute' | 'MCPServer' | 'MCPServerEntry';
const REVIEWED_KINDS = ['HTTPRoute', 'MCPServer', 'MCPServerEntry'] as const;

function routeRequest(annotations: Record<string, string>, kind: ReviewedKind, uid: string): AdmissionRequest {
  const object: KubeObject =
    kind === 'MCPServerEntry'
      ? {
          apiVersion: 'toolhive.stacklok.dev/v1beta1',
          kind,
          metadata: { name: 'github', namespace: 'mcp', annotations },
          spec: { remoteUrl: 'https://api.githubcopilot.com/mcp/', transport: 'streamable-http', groupRef: { name: 'remote' } },
        }
      : kind === 'HTTPRoute'
      ? {
          apiVersion: 'gateway.networking.k8s.io/v1',
          kind,
          metadata: { name: 'github', namespace: 'mcp', annotations: { ...annotations, [`${P}registry-export`]: annotations[`${P}registry-export`] ?? 'true' } },
          spec: { parentRefs: [{ name: 'public', namespace: 'gateway-system' }], hostnames: ['mcp.company.com'], rules: [{ backendRefs: [{ name: 'mcp-github-proxy', port: 8080 }] }] },
        }
      : {
          apiVersion: 'toolhive.stacklok.dev/v1beta1',
          kind,
          metadata: { name: 'github', namespace: 'mcp', annotations: { ...annotations, [`${P}registry-url`]: 'https://mcp.company.com/github' } },
          spec: { image: 'ghcr.io/github/github-mcp-server:v0.4.0', transport: 'streamable-http' },
        };
  return { uid, operation: 'CREATE', kind: { group: '', version: 'v1', kind }, name: 'github', namespace: 'mcp', object };
}

function patchOf(review: AdmissionReviewResponse): jsonpatch.Operation[] {
  return review.response.patch === undefined ? [] : (JSON.parse(Buffer.from(review.response.patch, 'base64').toString('utf8')) as jsonpatch.Operation[]);
}

describe('mutation', { timeout: 120_000 }, () => {
  const request = fc.tuple(annotationsArbitrary(false), fc.constantFrom(...REVIEWED_KINDS), fc.uuid()).map(([annotations, kind, uid]) => routeRequest(annotations, kind, uid));

  it('its patch applies cleanly, a second mutation patches nothing, and validation judges the patched object as the original', () => {
    fc.assert(
      fc.property(request, fc.constantFrom(...CONTEXTS), (original, context) => {
        const first = admitForMutation(original, context).review;
        expect(first.response.allowed).toBe(true);
        const operations = patchOf(first);
        // validateOperation: every path must exist for replace, every parent for add.
        const patched = jsonpatch.applyPatch(structuredClone(original.object!), operations, true, false).newDocument as KubeObject;
        const annotationsBefore = original.object!.metadata!.annotations!;
        const annotationsAfter = patched.metadata!.annotations!;
        for (const key of Object.keys(annotationsBefore)) expect(Object.hasOwn(annotationsAfter, key)).toBe(true);
        expect(Object.keys(annotationsAfter).length).toBe(Object.keys(annotationsBefore).length);
        expect({ ...patched, metadata: { ...patched.metadata, annotations: undefined } }).toEqual({ ...original.object, metadata: { ...original.object!.metadata, annotations: undefined } });

        const again = admitForMutation({ ...original, object: patched }, context).review;
        expect(again.response.patch).toBeUndefined();

        const before = admitForValidation(original, context).review.response;
        const after = admitForValidation({ ...original, object: patched }, context).review.response;
        expect(after.allowed).toBe(before.allowed);
        expect(after.status?.message).toBe(before.status?.message);
        expect(after.warnings).toEqual(before.warnings);
      }),
      { seed: SEED, numRuns: 2_000 },
    );
  });

  it('objects whose values are only unnormalized are patched, and what the patch produces is allowed', () => {
    const valid = fc.tuple(annotationsArbitrary(true), fc.constantFrom(...REVIEWED_KINDS)).map(([annotations, kind]) => routeRequest(annotations, kind, 'u-1'));
    fc.assert(
      fc.property(valid, (original) => {
        const patched = jsonpatch.applyPatch(structuredClone(original.object!), patchOf(admitForMutation(original, ALONE).review), true, false).newDocument as KubeObject;
        const verdict = admitForValidation({ ...original, object: patched }, ALONE).review.response;
        expect(verdict.status?.message).toBeUndefined();
        expect(verdict.allowed).toBe(true);
      }),
      { seed: SEED, numRuns: 1_000 },
    );
  });
});

// ---- over real HTTPS ----

describe('the webhook server over HTTPS, any body', { timeout: 120_000 }, () => {
  let workDir: string;
  let admission: AdmissionServer;
  let client: HttpsClient;

  beforeAll(async () => {
    const ca = createThrowawayCA();
    const serving = ca.issue();
    workDir = await mkdtemp(join(tmpdir(), 'webhook-property-'));
    await createSecretVolume(join(workDir, 'tls'), { 'tls.crt': serving.certPem, 'tls.key': serving.keyPem });
    admission = await createAdmissionServer({
      port: 0,
      host: '127.0.0.1',
      certFile: join(workDir, 'tls', 'tls.crt'),
      keyFile: join(workDir, 'tls', 'tls.key'),
      contextProvider: () => CLUSTER,
      // Debug: the server then logs every answer, and the log line must not fail either.
      logger: createLogger({ level: 'debug', destination: new Writable({ write: (_chunk, _encoding, done) => done() }) }),
      certificatePollIntervalMs: 60_000,
    });
    const { port } = await admission.listen();
    client = httpsClient(port, ca.certPem);
  });

  afterAll(async () => {
    client?.close();
    await admission?.shutdown();
    await rm(workDir, { recursive: true, force: true });
  });

  function answerWithin(promise: Promise<HttpsAnswer>, ms: number, what: string): Promise<HttpsAnswer> {
    return Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms: ${what}`)), ms).unref())]);
  }

  it('answers what the core answers: 200 with the uid, or 400; never a 5xx, never a hang', async () => {
    const bodies = fc.sample(anyBody, { seed: SEED + 1, numRuns: 300 });
    bodies.push(
      // The regressions above, through the server: both were 500s.
      `{"apiVersion": ${'['.repeat(20_000)}${']'.repeat(20_000)}}`,
      JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', operation: 'CREATE', namespace: { toString: 1 }, object: { kind: 'HTTPRoute', apiVersion: 'gateway.networking.k8s.io/v1', metadata: { name: 'x', annotations: { [`${P}registry-tier`]: 'Gold' } } } } }),
      '\u00ff\u00fe{', // not UTF-8 JSON
    );
    for (let start = 0; start < bodies.length; start += 16) {
      const batch = bodies.slice(start, start + 16);
      const answers = await Promise.all(
        batch.map((text, index) => {
          const path = (start + index) % 2 === 0 ? '/validate' : '/mutate?timeout=10s';
          return answerWithin(client.post(path, text), 15_000, text.slice(0, 200)).then((answer) => ({ answer, text, path }));
        }),
      );
      for (const { answer, text, path } of answers) {
        const expected = coreVerdict(text);
        const context = `${path} ${text.slice(0, 300)}`;
        expect(answer.status, context).toBe(expected.status);
        if (expected.status === 200) expectWellFormed(answer.json as AdmissionReviewResponse, expected.uid);
        else expect(answer.json?.kind, context).toBe('Status');
      }
    }
  });

  it('refuses a body over the limit with 413 and one just under it with 200 or 400', async () => {
    const review = REVIEWS[0] as { request: { object: { spec?: unknown } } };
    const filler = 'x'.repeat(64);
    const count = Math.floor((DEFAULT_BODY_LIMIT_BYTES - 4_096) / (filler.length + 3));
    const under = JSON.stringify({ ...review, request: { ...review.request, object: { ...review.request.object, spec: { rules: Array(count).fill(filler) } } } });
    expect(Buffer.byteLength(under)).toBeLessThan(DEFAULT_BODY_LIMIT_BYTES);
    const underAnswer = await answerWithin(client.post('/validate', under), 15_000, 'a body just under the limit');
    expect([200, 400]).toContain(underAnswer.status);
    expect(underAnswer.status).toBe(coreVerdict(under).status);
    const over = `${under.slice(0, -1)}, "pad": "${'y'.repeat(8_192)}"}`;
    expect(Buffer.byteLength(over)).toBeGreaterThan(DEFAULT_BODY_LIMIT_BYTES);
    expect((await answerWithin(client.post('/validate', over), 15_000, 'a body over the limit')).status).toBe(413);
  });
});
