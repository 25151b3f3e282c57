// The webhook's pure core as tables: which bodies are AdmissionReviews, which requests are
// judged, and the exact answers /validate and /mutate build from the contract's judgement.

import { readFileSync } from 'node:fs';
import jsonpatch from 'fast-json-patch';
import { describe, expect, it } from 'vitest';
import {
  admitForMutation,
  admitForValidation,
  escapePointerToken,
  INTERNAL_ERROR_WARNING,
  normalizationPatch,
  objectUnderReview,
  parseAdmissionReview,
  shortWarning,
  validationResponse,
  WARNING_LIMIT,
  type AdmissionRequest,
} from '../../../src/admission/review.ts';
import { EMPTY_CLUSTER } from '../../../src/cluster/lookups.ts';
import { ObjectIndex } from '../../../src/cluster/object-index.ts';
import { DEFAULT_CONTRACT_OPTIONS, type ContractContext, type Judgement } from '../../../src/contract/types.ts';
import type { KubeObject } from '../../../src/kubernetes/objects.ts';

const P = 'toolhive.stacklok.dev/';
const context: ContractContext = { lookups: EMPTY_CLUSTER, options: DEFAULT_CONTRACT_OPTIONS };

function fixture(name: string): { request: AdmissionRequest } & Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../../fixtures/admission/${name}`, import.meta.url), 'utf8'));
}

function requestOf(name: string): AdmissionRequest {
  const parsed = parseAdmissionReview(fixture(name));
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.request;
}

function decodePatch(patch: string | undefined): jsonpatch.Operation[] {
  return patch === undefined ? [] : JSON.parse(Buffer.from(patch, 'base64').toString('utf8'));
}

const envelope = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' };
const request = { uid: 'u-1', operation: 'CREATE', object: { kind: 'HTTPRoute' } };

describe('parseAdmissionReview', () => {
  it.each<[string, unknown, string]>([
    ['null', null, 'the body is not a JSON object'],
    ['an array', [envelope], 'the body is not a JSON object'],
    ['a number', 42, 'the body is not a JSON object'],
    ['a string', 'AdmissionReview', 'the body is not a JSON object'],
    ['v1beta1', { ...envelope, apiVersion: 'admission.k8s.io/v1beta1', request }, 'apiVersion "admission.k8s.io/v1beta1" is not admission.k8s.io/v1 (set admissionReviewVersions: ["v1"])'],
    ['no apiVersion', { kind: 'AdmissionReview', request }, 'apiVersion null is not admission.k8s.io/v1'],
    ['another kind', { ...envelope, kind: 'TokenReview', request }, 'kind "TokenReview" is not AdmissionReview'],
    ['no request', { ...envelope }, 'request is missing'],
    ['a request that is a string', { ...envelope, request: 'x' }, 'request is missing'],
    ['no uid', { ...envelope, request: { ...request, uid: undefined } }, 'request.uid is missing'],
    ['an empty uid', { ...envelope, request: { ...request, uid: '' } }, 'request.uid is missing'],
    ['a numeric uid', { ...envelope, request: { ...request, uid: 7 } }, 'request.uid is missing'],
    ['no operation', { ...envelope, request: { ...request, operation: undefined } }, 'request.operation null is not one of CREATE, UPDATE, DELETE, CONNECT'],
    ['a lower-case operation', { ...envelope, request: { ...request, operation: 'create' } }, 'request.operation "create" is not one of'],
    ['CREATE without object', { ...envelope, request: { ...request, object: null } }, 'request.object is missing: a CREATE request carries the object'],
    ['UPDATE with an array object', { ...envelope, request: { ...request, operation: 'UPDATE', object: [] } }, 'request.object is missing: a UPDATE request'],
  ])('rejects %s', (_name, body, problem) => {
    const parsed = parseAdmissionReview(body);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.problem).toContain(problem);
  });

  it.each([
    ['CREATE', request],
    ['DELETE without object', { uid: 'u-2', operation: 'DELETE', object: null, oldObject: { kind: 'HTTPRoute' } }],
    ['CONNECT', { uid: 'u-3', operation: 'CONNECT' }],
  ])('accepts %s', (_name, body) => {
    const parsed = parseAdmissionReview({ ...envelope, request: body });
    expect(parsed).toEqual({ ok: true, request: body });
  });

  it('accepts every fixture of test/fixtures/admission', () => {
    for (const name of ['httproute-create-allowed.json', 'httproute-delete.json', 'mcpserver-status-update.json']) {
      expect(parseAdmissionReview(fixture(name)).ok, name).toBe(true);
    }
  });
});

describe('objectUnderReview', () => {
  it('returns the object itself when it names its namespace', () => {
    const object = { kind: 'HTTPRoute', metadata: { name: 'a', namespace: 'mcp' } };
    expect(objectUnderReview({ uid: 'u', operation: 'CREATE', namespace: 'other', object })).toBe(object);
  });

  it("takes the request's namespace and name when the object carries none", () => {
    const object: KubeObject = { kind: 'HTTPRoute', metadata: { annotations: { a: 'b' } } };
    const reviewed = objectUnderReview({ uid: 'u', operation: 'CREATE', namespace: 'mcp', name: 'github', object });
    expect(reviewed.metadata).toEqual({ annotations: { a: 'b' }, namespace: 'mcp', name: 'github' });
    expect(object.metadata).toEqual({ annotations: { a: 'b' } });
  });
});

describe('shortWarning', () => {
  const prefix = 'HTTPRoute mcp/github: ';

  it('keeps a short warning as it is', () => {
    expect(shortWarning(`${prefix}annotation ${P}registry-url: "http://x" uses http`, prefix)).toBe(`${prefix}annotation ${P}registry-url: "http://x" uses http`);
  });

  it('drops the key family, then the object, before cutting', () => {
    const rule = 'uses http; the upstream MCP registry accepts only https remotes';
    const long = `${prefix}annotation ${P}registry-url: "http://a.io/m" ${rule}`;
    expect(long.length).toBeGreaterThan(WARNING_LIMIT);
    expect(shortWarning(long, prefix)).toBe(`${prefix}registry-url: "http://a.io/m" ${rule}`);
    const longer = `${prefix}parentRef Gateway gateway-system/public section https: Gateway is not known (yet); attachment not checked`;
    expect(shortWarning(longer, prefix)).toBe('parentRef Gateway gateway-system/public section https: Gateway is not known (yet); attachment not checked');
  });

  it('cuts what is still too long, and never emits control characters', () => {
    const text = shortWarning(`${prefix}${'x'.repeat(300)}\n\tend`, prefix);
    expect(text).toHaveLength(WARNING_LIMIT);
    expect(text.endsWith('…')).toBe(true);
    expect(shortWarning('a\nb\u0007c')).toBe('a b c');
  });
});

describe('validationResponse', () => {
  const judgement = (errors: string[], warnings: string[]): Judgement => ({
    applies: true,
    errors: errors.map((message) => ({ annotation: null, message })),
    warnings: warnings.map((message) => ({ annotation: null, message })),
    normalized: {},
    annotations: {},
  });

  it.each([
    ['no findings', [], [], { uid: 'u', allowed: true }],
    ['warnings only', [], ['w1', 'w2'], { uid: 'u', allowed: true, warnings: ['w1', 'w2'] }],
    ['one error', ['e1'], [], { uid: 'u', allowed: false, status: { code: 403, reason: 'Forbidden', message: 'e1' } }],
    ['errors and warnings', ['e1', 'e2'], ['w'], { uid: 'u', allowed: false, status: { code: 403, reason: 'Forbidden', message: 'e1\ne2' }, warnings: ['w'] }],
  ])('%s', (_name, errors, warnings, response) => {
    expect(validationResponse('u', judgement(errors, warnings))).toEqual({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response });
  });
});

describe('normalizationPatch', () => {
  it.each([
    ['a/b', 'a~1b'],
    ['a~b', 'a~0b'],
    ['~/', '~0~1'],
    ['~1', '~01'],
    ['plain', 'plain'],
  ])('escapes %s as %s (RFC 6901)', (token, escaped) => {
    expect(escapePointerToken(token)).toBe(escaped);
  });

  it('replaces only the changed annotations and applies cleanly', () => {
    const object: KubeObject = { metadata: { annotations: { 'x~/y': ' A ', keep: 'me', [`${P}registry-tier`]: 'community' } } };
    const patch = normalizationPatch(object, { 'x~/y': 'A', [`${P}registry-tier`]: 'Community' });
    expect(patch).toEqual([
      { op: 'replace', path: '/metadata/annotations/x~0~1y', value: 'A' },
      { op: 'replace', path: `/metadata/annotations/toolhive.stacklok.dev~1registry-tier`, value: 'Community' },
    ]);
    const patched = jsonpatch.applyPatch(structuredClone(object), patch, true, false).newDocument;
    expect(patched.metadata?.annotations).toEqual({ 'x~/y': 'A', keep: 'me', [`${P}registry-tier`]: 'Community' });
  });

  it('is empty when the values already are normalized', () => {
    expect(normalizationPatch({ metadata: { annotations: { a: 'b' } } }, { a: 'b' })).toEqual([]);
  });
});

describe('admitForValidation on fixtures', () => {
  it('allows a well-annotated HTTPRoute, with the unknown-Gateway warnings of an empty cluster', () => {
    const outcome = admitForValidation(requestOf('httproute-create-allowed.json'), context);
    expect(outcome.verdict).toBe('allowed');
    expect(outcome.review).toEqual({
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

  it('denies with every error, one per line', () => {
    const outcome = admitForValidation(requestOf('httproute-create-denied.json'), context);
    expect(outcome.verdict).toBe('denied');
    expect(outcome.review.response.uid).toBe('7c1b2a3d-0001-4e5f-8a9b-000000000002');
    expect(outcome.review.response.status?.code).toBe(403);
    expect(outcome.review.response.status?.message.split('\n')).toEqual([
      `HTTPRoute mcp/docs: annotation ${P}registry-tier: "Gold" is not one of Official, Community, Partner`,
      `HTTPRoute mcp/docs: annotation ${P}registry-teir: "Official" is not a known registry annotation; did you mean registry-tier?`,
      `HTTPRoute mcp/docs: annotation ${P}registry-url: "https://docs.example.com/mcp" is not allowed on an HTTPRoute: the route's URL is derived from its parent Gateway`,
    ]);
  });

  it('judges the un-normalized values as the stored ones would be (normalization first)', () => {
    expect(admitForValidation(requestOf('mcpserver-create-unnormalized.json'), context).verdict).toBe('allowed');
  });

  it.each([
    ['httproute-delete.json', 'DELETE requests are not judged'],
    ['mcpserver-status-update.json', 'the status subresource is not judged'],
    ['configmap-create-out-of-scope.json', 'the object is out of scope or not registry-annotated'],
    ['httproute-create-unannotated.json', 'the object is out of scope or not registry-annotated'],
  ])('%s is allowed untouched: %s', (name, reason) => {
    const request = requestOf(name);
    const outcome = admitForValidation(request, context);
    expect(outcome).toEqual({ review: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: request.uid, allowed: true } }, verdict: 'allowed', skipped: reason });
  });

  it('turns referential denials into warnings with --referential-checks=warn', () => {
    const gateway = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'public', namespace: 'gateway-system' },
      spec: { listeners: [{ name: 'https', port: 443, protocol: 'HTTPS' }] },
    };
    const lookups = { get: (kind: string, namespace: string, name: string) => (kind === 'Gateway' && namespace === 'gateway-system' && name === 'public' ? gateway : undefined), list: () => [] };
    const request = requestOf('httproute-update-unnormalized.json');
    const denied = admitForValidation(request, { lookups, options: DEFAULT_CONTRACT_OPTIONS });
    expect(denied.verdict).toBe('denied');
    expect(denied.review.response.status?.message).toContain('HTTPRoute mcp/github: parentRef Gateway gateway-system/public');
    const warned = admitForValidation(request, { lookups, options: { ...DEFAULT_CONTRACT_OPTIONS, referentialChecks: 'warn' } });
    expect(warned.verdict).toBe('allowed');
    expect(warned.review.response.warnings?.some((warning) => warning.includes('gateway-system/public'))).toBe(true);
  });
});

describe('admitForMutation on fixtures', () => {
  it('patches exactly the normalized annotations, and the patched object needs no second patch', () => {
    const request = requestOf('mcpserver-create-unnormalized.json');
    const outcome = admitForMutation(request, context);
    expect(outcome.verdict).toBe('patched');
    expect(outcome.review.response.patchType).toBe('JSONPatch');
    const patch = decodePatch(outcome.review.response.patch);
    expect(patch).toEqual([
      { op: 'replace', path: '/metadata/annotations/toolhive.stacklok.dev~1registry-export', value: 'true' },
      { op: 'replace', path: '/metadata/annotations/toolhive.stacklok.dev~1registry-tier', value: 'Community' },
      { op: 'replace', path: '/metadata/annotations/toolhive.stacklok.dev~1registry-tags', value: 'web,http,fetch' },
      { op: 'replace', path: '/metadata/annotations/toolhive.stacklok.dev~1registry-tools', value: 'fetch,fetch_html' },
      { op: 'replace', path: '/metadata/annotations/toolhive.stacklok.dev~1registry-category', value: 'web' },
      { op: 'replace', path: '/metadata/annotations/toolhive.stacklok.dev~1registry-description', value: 'Fetches web pages and converts them to markdown' },
    ]);
    const patched = jsonpatch.applyPatch(structuredClone(request.object!), patch, true, false).newDocument;
    expect(patched.metadata?.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toBe('{}');
    const again = admitForMutation({ ...request, object: patched }, context);
    expect(again).toEqual({ review: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: request.uid, allowed: true } }, verdict: 'allowed' });
  });

  it('never denies, even when validation would', () => {
    const outcome = admitForMutation(requestOf('httproute-create-denied.json'), context);
    expect(outcome.review.response.allowed).toBe(true);
    expect(outcome.review.response.status).toBeUndefined();
  });

  it('judges request.object on UPDATE, not oldObject', () => {
    const patch = decodePatch(admitForMutation(requestOf('httproute-update-unnormalized.json'), context).review.response.patch);
    expect(patch.map((operation) => operation.path)).toEqual([
      '/metadata/annotations/toolhive.stacklok.dev~1registry-export',
      '/metadata/annotations/toolhive.stacklok.dev~1registry-transport',
    ]);
  });

  it.each(['httproute-delete.json', 'mcpserver-status-update.json', 'configmap-create-out-of-scope.json', 'httproute-create-unannotated.json', 'httproute-create-allowed.json'])(
    '%s gets no patch',
    (name) => {
      const outcome = admitForMutation(requestOf(name), context);
      expect(outcome.review.response).toEqual({ uid: outcome.review.response.uid, allowed: true });
      expect(outcome.verdict).toBe('allowed');
    },
  );
});

describe('admission that never holds the cluster hostage', () => {
  const EXPORTED = { [`${P}registry-export`]: 'true', [`${P}registry-description`]: 'GitHub', [`${P}registry-url`]: 'https://github.example.com/mcp' };
  const server = (namespace: string, annotations: Record<string, string>, extra: { finalizers?: string[]; deletionTimestamp?: string; labels?: Record<string, string>; spec?: Record<string, unknown> } = {}): KubeObject => ({
    apiVersion: 'toolhive.stacklok.dev/v1alpha1',
    kind: 'MCPServer',
    metadata: {
      name: 'github',
      namespace,
      annotations,
      ...(extra.finalizers ? { finalizers: extra.finalizers } : {}),
      ...(extra.deletionTimestamp ? { deletionTimestamp: extra.deletionTimestamp } : {}),
      ...(extra.labels ? { labels: extra.labels } : {}),
    },
    spec: extra.spec ?? { image: 'ghcr.io/github/github-mcp-server', transport: 'streamable-http' },
  });
  // team-b's MCPServer claims team-a's registry name: check 4 denies it.
  const stolen = { ...EXPORTED, [`${P}registry-name`]: 'com.toolhive.k8s.team-a/github' };
  const owner = server('team-a', EXPORTED);
  const lookups = new ObjectIndex([owner]);
  const claimed: ContractContext = { lookups, options: DEFAULT_CONTRACT_OPTIONS };
  const update = (oldObject: KubeObject, object: KubeObject, operation: AdmissionRequest['operation'] = 'UPDATE'): AdmissionRequest => ({
    uid: 'u-2',
    operation,
    kind: { group: 'toolhive.stacklok.dev', version: 'v1alpha1', kind: 'MCPServer' },
    name: 'github',
    namespace: 'team-b',
    object,
    oldObject,
  });
  const before = server('team-b', stolen, { finalizers: ['mcpserver.toolhive.stacklok.dev/finalizer'] });
  const CLAIM = 'registry name com.toolhive.k8s.team-a/github belongs to namespace team-a';

  it.each<[string, AdmissionRequest, 'allowed' | 'denied', string | undefined]>([
    ['a CREATE of the stolen name', { ...update(before, server('team-b', stolen), 'CREATE'), oldObject: null }, 'denied', CLAIM],
    ['an UPDATE removing the finalizer', update(before, server('team-b', stolen)), 'allowed', CLAIM],
    ['an UPDATE changing only labels', update(before, server('team-b', stolen, { finalizers: ['mcpserver.toolhive.stacklok.dev/finalizer'], labels: { tier: 'x' } })), 'allowed', CLAIM],
    ['an UPDATE reordering the annotations', update(server('team-b', { [`${P}registry-name`]: 'com.toolhive.k8s.team-a/github', ...EXPORTED }), server('team-b', stolen)), 'allowed', CLAIM],
    ['an UPDATE changing a registry annotation', update(before, server('team-b', { ...stolen, [`${P}registry-description`]: 'other' })), 'denied', CLAIM],
    ['an UPDATE adding the claim', update(server('team-b', EXPORTED), server('team-b', stolen)), 'denied', CLAIM],
    ['an UPDATE changing the spec', update(before, server('team-b', stolen, { spec: { image: 'other', transport: 'streamable-http' } })), 'denied', CLAIM],
    ['an UPDATE without oldObject', { ...update(before, server('team-b', stolen)), oldObject: null }, 'denied', CLAIM],
  ])('%s is %s', (_, request, verdict, text) => {
    const outcome = admitForValidation(request, claimed);
    expect(outcome.verdict).toBe(verdict);
    if (verdict === 'denied') expect(outcome.review.response.status?.message).toContain(text);
    else {
      expect(outcome.review.response.status).toBeUndefined();
      expect(outcome.review.response.warnings?.some((warning) => warning.includes(text!))).toBe(true);
    }
  });

  it('an unchanged UPDATE still denies what the annotation values themselves break', () => {
    const broken = { ...stolen, [`${P}registry-tier`]: 'Gold' };
    const outcome = admitForValidation(update(server('team-b', broken), server('team-b', broken)), claimed);
    expect(outcome.verdict).toBe('denied');
    expect(outcome.review.response.status?.message.split('\n')).toEqual([`MCPServer team-b/github: annotation ${P}registry-tier: "Gold" is not one of Official, Community, Partner`]);
    expect(outcome.review.response.warnings?.some((warning) => warning.includes(CLAIM))).toBe(true);
  });

  it.each<[string, AdmissionRequest]>([
    ['an UPDATE of an object being deleted', update(before, server('team-b', { ...stolen, [`${P}registry-tier`]: 'Gold' }, { deletionTimestamp: '2026-12-04T21:00:00Z' }))],
    ['a CREATE carrying a deletionTimestamp', { ...update(before, server('team-b', { [`${P}registry-tier`]: 'Gold' }, { deletionTimestamp: '2026-12-04T21:00:00Z' }), 'CREATE'), oldObject: null }],
  ])('%s is allowed unjudged, without any denial', (_, request) => {
    for (const admit of [admitForValidation, admitForMutation]) {
      expect(admit(request, claimed)).toEqual({
        review: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'u-2', allowed: true } },
        verdict: 'allowed',
        skipped: 'objects being deleted are not judged',
      });
    }
  });

  it('an internal error while judging allows with a warning that says so, and hands the error over', () => {
    const failure = new Error('boom');
    const object = server('team-b', stolen);
    Object.defineProperty(object.metadata!, 'annotations', { get: () => { throw failure; } });
    for (const admit of [admitForValidation, admitForMutation]) {
      const outcome = admit(update(before, object, 'CREATE'), claimed);
      expect(outcome.review.response).toEqual({ uid: 'u-2', allowed: true, warnings: [INTERNAL_ERROR_WARNING] });
      expect(outcome.verdict).toBe('allowed');
      expect(outcome.internalError).toBe(failure);
    }
    expect(INTERNAL_ERROR_WARNING).toContain('internal error');
    expect(INTERNAL_ERROR_WARNING).not.toContain('malformed');
    expect(INTERNAL_ERROR_WARNING.length).toBeLessThanOrEqual(WARNING_LIMIT);
  });
});
