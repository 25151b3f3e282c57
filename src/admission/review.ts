// The admission webhook's pure core: read an admission.k8s.io/v1 AdmissionReview, judge the
// object with the annotation contract, and build the answer (a verdict for /validate, a
// JSONPatch of normalized annotations for /mutate). No HTTP here, so every case is a table
// test; server.ts is the thin shell around it.

import { judgeAnnotations, judgeObject } from '../contract/judge.ts';
import { referentialInputsUnchanged } from '../contract/referential.ts';
import type { ContractContext, Finding, Judgement } from '../contract/types.ts';
import { describeObject, isPlainObject, type KubeObject } from '../kubernetes/objects.ts';
import type { AdmissionVerdict } from '../observability/metrics.ts';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';
export const ADMISSION_REVIEW_KIND = 'AdmissionReview';

export type AdmissionOperation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
const OPERATIONS: ReadonlySet<string> = new Set<AdmissionOperation>(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']);

export interface GroupVersionKind {
  group?: string;
  version?: string;
  kind?: string;
}

/** The fields of admission/v1 AdmissionRequest this webhook reads; the rest passes through unread. */
export interface AdmissionRequest {
  uid: string;
  operation: AdmissionOperation;
  kind?: GroupVersionKind;
  subResource?: string;
  name?: string;
  namespace?: string;
  object?: KubeObject | null;
  oldObject?: KubeObject | null;
  dryRun?: boolean;
}

export interface AdmissionStatus {
  code: number;
  reason: string;
  message: string;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: AdmissionStatus;
  patch?: string;
  patchType?: 'JSONPatch';
  warnings?: string[];
}

export interface AdmissionReviewResponse {
  apiVersion: typeof ADMISSION_API_VERSION;
  kind: typeof ADMISSION_REVIEW_KIND;
  response: AdmissionResponse;
}

export type ParsedReview = { ok: true; request: AdmissionRequest } | { ok: false; problem: string };

/** What one admission call decided, with the verdict the metrics count. */
export interface AdmissionOutcome {
  review: AdmissionReviewResponse;
  verdict: AdmissionVerdict;
  /** Why the object was let through unjudged, for debug logs. */
  skipped?: string;
  /** An exception thrown while judging: the object was allowed unjudged (logged and counted by the server). */
  internalError?: unknown;
}

export interface JSONPatchOperation {
  op: 'replace' | 'add';
  path: string;
  value: string;
}

const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]+/g;

/** The API server keeps warnings short ("Limit warnings to 120 characters if possible"). */
export const WARNING_LIMIT = 120;

/**
 * A value of the body as a 400 answer shows it: short, one line, and never by serializing
 * it whole (a body can nest 3 MiB deep, and JSON.stringify would overflow the stack).
 */
function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify([...value].length > 64 ? `${[...value].slice(0, 64).join('')}…` : value).replace(/[\u0085\u2028\u2029]/g, ' ');
  if (value === null || value === undefined || typeof value === 'number' || typeof value === 'boolean') return String(value ?? null);
  return Array.isArray(value) ? 'an array' : 'an object';
}

function typeProblem(where: string, value: unknown, type: 'string' | 'boolean'): string | undefined {
  return value === undefined || value === null || typeof value === type ? undefined : `${where} is ${shown(value)}, not a ${type}`;
}

/**
 * The fields the webhook reads (and logs) must have their Kubernetes types; the API server
 * never sends others, and code that expects a string must not meet an object.
 */
function requestFieldProblem(request: Record<string, unknown>): string | undefined {
  for (const field of ['name', 'namespace', 'subResource'] as const) {
    const problem = typeProblem(`request.${field}`, request[field], 'string');
    if (problem) return problem;
  }
  const dryRun = typeProblem('request.dryRun', request.dryRun, 'boolean');
  if (dryRun) return dryRun;
  if (request.kind !== undefined && request.kind !== null) {
    if (!isPlainObject(request.kind)) return `request.kind is ${shown(request.kind)}, not a group/version/kind object`;
    for (const field of ['group', 'version', 'kind'] as const) {
      const problem = typeProblem(`request.kind.${field}`, request.kind[field], 'string');
      if (problem) return problem;
    }
  }
  for (const field of ['object', 'oldObject'] as const) {
    const object = request[field];
    if (object === undefined || object === null) continue;
    if (!isPlainObject(object)) return `request.${field} is ${shown(object)}, not an object`;
    for (const key of ['apiVersion', 'kind'] as const) {
      const problem = typeProblem(`request.${field}.${key}`, object[key], 'string');
      if (problem) return problem;
    }
    const metadata = object.metadata;
    if (metadata === undefined || metadata === null) continue;
    if (!isPlainObject(metadata)) return `request.${field}.metadata is ${shown(metadata)}, not an object`;
    for (const key of ['name', 'namespace'] as const) {
      const problem = typeProblem(`request.${field}.metadata.${key}`, metadata[key], 'string');
      if (problem) return problem;
    }
    if (metadata.annotations !== undefined && metadata.annotations !== null && !isPlainObject(metadata.annotations)) {
      return `request.${field}.metadata.annotations is ${shown(metadata.annotations)}, not an object`;
    }
  }
  return undefined;
}

/** Check the envelope of an incoming body; a failure is the sentence a 400 answer carries. */
export function parseAdmissionReview(body: unknown): ParsedReview {
  if (!isPlainObject(body)) return { ok: false, problem: 'the body is not a JSON object (expected an admission.k8s.io/v1 AdmissionReview)' };
  if (body.apiVersion !== ADMISSION_API_VERSION) {
    return { ok: false, problem: `apiVersion ${shown(body.apiVersion)} is not ${ADMISSION_API_VERSION} (set admissionReviewVersions: ["v1"])` };
  }
  if (body.kind !== ADMISSION_REVIEW_KIND) return { ok: false, problem: `kind ${shown(body.kind)} is not ${ADMISSION_REVIEW_KIND}` };
  const request = body.request;
  if (!isPlainObject(request)) return { ok: false, problem: 'request is missing: an AdmissionReview sent to a webhook carries one' };
  if (typeof request.uid !== 'string' || request.uid === '') return { ok: false, problem: 'request.uid is missing or not a non-empty string' };
  if (typeof request.operation !== 'string' || !OPERATIONS.has(request.operation)) {
    return { ok: false, problem: `request.operation ${shown(request.operation)} is not one of CREATE, UPDATE, DELETE, CONNECT` };
  }
  if ((request.operation === 'CREATE' || request.operation === 'UPDATE') && !isPlainObject(request.object)) {
    return { ok: false, problem: `request.object is missing: a ${request.operation} request carries the object` };
  }
  const fieldProblem = requestFieldProblem(request);
  if (fieldProblem) return { ok: false, problem: fieldProblem };
  return { ok: true, request: request as unknown as AdmissionRequest };
}

export function reviewResponse(response: AdmissionResponse): AdmissionReviewResponse {
  return { apiVersion: ADMISSION_API_VERSION, kind: ADMISSION_REVIEW_KIND, response };
}

/**
 * Requests answered "allowed" without judging: the contract speaks about objects being
 * written, and annotations.md says DELETE and status updates are not intercepted (a status
 * write cannot change annotations, and a deletion must never be blocked by them).
 */
export function unjudgedReason(request: AdmissionRequest): string | undefined {
  if (request.operation === 'DELETE' || request.operation === 'CONNECT') return `${request.operation} requests are not judged`;
  if (request.subResource) return `the ${request.subResource} subresource is not judged`;
  // Leaving is never blocked: an object being deleted (finalizers pending) stays updatable
  // whatever its annotations say. The chart's matchConditions keep these away; this is for
  // the ones that arrive anyway.
  if (request.object?.metadata?.deletionTimestamp) return 'objects being deleted are not judged';
  return undefined;
}

/** The warning of an object allowed because judging it threw; the stack is in the debug log. */
export const INTERNAL_ERROR_WARNING = 'allowed unjudged: the admission webhook hit an internal error while judging this object (see its debug log)';

function allowAfterInternalError(request: AdmissionRequest, error: unknown): AdmissionOutcome {
  const review = reviewResponse({ uid: request.uid, allowed: true, warnings: [INTERNAL_ERROR_WARNING] });
  return { review, verdict: 'allowed', skipped: 'an internal error happened while judging', internalError: error };
}

/** An UPDATE that changes nothing the referential checks read (their denials become warnings). */
function referentiallyUnchanged(request: AdmissionRequest): boolean {
  return request.operation === 'UPDATE' && isPlainObject(request.object) && isPlainObject(request.oldObject) && referentialInputsUnchanged(request.oldObject, request.object);
}

/**
 * The object as the API server will store it. The request's namespace is authoritative: a
 * manifest applied with `-n` may arrive without `metadata.namespace`, and messages and
 * name ownership must use the real one.
 */
export function objectUnderReview(request: AdmissionRequest): KubeObject {
  const object = request.object ?? {};
  const metadata = object.metadata ?? {};
  if ((metadata.namespace || !request.namespace) && (metadata.name || !request.name)) return object;
  return {
    ...object,
    metadata: { ...metadata, namespace: metadata.namespace || request.namespace, name: metadata.name || request.name },
  };
}

/**
 * Short, printable warning text. Compacted step by step while it is too long: the key's
 * family prefix goes first (the short key stays unambiguous), then the object's name
 * (kubectl prints warnings next to the object they belong to), and only then is it cut.
 */
export function shortWarning(message: string, objectPrefix = ''): string {
  let text = CONTROL_CHARACTER.test(message) ? message.replace(CONTROL_CHARACTERS, ' ') : message;
  if (text.length <= WARNING_LIMIT) return text;
  text = text.replace(': annotation toolhive.stacklok.dev/', ': ');
  if (text.length > WARNING_LIMIT && objectPrefix && text.startsWith(objectPrefix)) text = text.slice(objectPrefix.length);
  return text.length <= WARNING_LIMIT ? text : `${text.slice(0, WARNING_LIMIT - 1)}…`;
}

function warningsOf(findings: readonly Finding[], objectPrefix: string): string[] | undefined {
  return findings.length === 0 ? undefined : findings.map((finding) => shortWarning(finding.message, objectPrefix));
}

/** The validating webhook's answer to a judgement: allowed iff the contract found no error. */
export function validationResponse(uid: string, judgement: Judgement, objectPrefix = ''): AdmissionReviewResponse {
  const response: AdmissionResponse = { uid, allowed: judgement.errors.length === 0 };
  if (!response.allowed) {
    response.status = { code: 403, reason: 'Forbidden', message: judgement.errors.map((error) => error.message).join('\n') };
  }
  const warnings = warningsOf(judgement.warnings, objectPrefix);
  if (warnings) response.warnings = warnings;
  return reviewResponse(response);
}

/** RFC 6901: `~` and `/` inside a reference token are escaped (`~` first). */
export function escapePointerToken(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** Replace exactly the annotations whose normalization changed; nothing else is touched. */
export function normalizationPatch(object: KubeObject, normalized: Record<string, string>): JSONPatchOperation[] {
  const current = object.metadata?.annotations ?? {};
  const patch: JSONPatchOperation[] = [];
  for (const [key, value] of Object.entries(normalized)) {
    if (current[key] === value) continue;
    patch.push({ op: Object.hasOwn(current, key) ? 'replace' : 'add', path: `/metadata/annotations/${escapePointerToken(key)}`, value });
  }
  return patch;
}

/** The mutating webhook's answer: a patch when normalization changes something, else a bare allow. */
export function mutationResponse(uid: string, object: KubeObject, judgement: Judgement): AdmissionReviewResponse {
  const response: AdmissionResponse = { uid, allowed: true };
  const patch = judgement.applies ? normalizationPatch(object, judgement.normalized) : [];
  if (patch.length > 0) {
    response.patch = Buffer.from(JSON.stringify(patch)).toString('base64');
    response.patchType = 'JSONPatch';
  }
  return reviewResponse(response);
}

function allowUnjudged(request: AdmissionRequest, skipped: string): AdmissionOutcome {
  return { review: reviewResponse({ uid: request.uid, allowed: true }), verdict: 'allowed', skipped };
}

/** POST /validate: the whole contract, including the checks against other objects. */
export function admitForValidation(request: AdmissionRequest, context: ContractContext): AdmissionOutcome {
  const skipped = unjudgedReason(request);
  if (skipped) return allowUnjudged(request, skipped);
  try {
    return judgeForValidation(request, context);
  } catch (error) {
    return allowAfterInternalError(request, error);
  }
}

function judgeForValidation(request: AdmissionRequest, context: ContractContext): AdmissionOutcome {
  const object = objectUnderReview(request);
  // On UPDATE, if nothing the referential checks read changed, their denials become
  // warnings (decided at the first such denial). Value rules still deny.
  const judgement = judgeObject(object, request.operation === 'UPDATE' ? { ...context, demoteReferentialDenials: () => referentiallyUnchanged(request) } : context);
  if (!judgement.applies) return allowUnjudged(request, 'the object is out of scope or not registry-annotated');
  // The prefix only shortens warnings; most answers carry none.
  const objectPrefix = judgement.warnings.length > 0 ? `${describeObject(object, context.options.defaultNamespace)}: ` : '';
  const review = validationResponse(request.uid, judgement, objectPrefix);
  return { review, verdict: review.response.allowed ? 'allowed' : 'denied' };
}

/**
 * POST /mutate: normalization only. It never denies (the validating webhook does, on the
 * final object, after every mutation) and needs no other objects, so it runs the per-object
 * rules alone and stays cheap.
 */
export function admitForMutation(request: AdmissionRequest, context: ContractContext): AdmissionOutcome {
  const skipped = unjudgedReason(request);
  if (skipped) return allowUnjudged(request, skipped);
  try {
    const object = objectUnderReview(request);
    const judgement = judgeAnnotations(object, context.options);
    if (!judgement.applies) return allowUnjudged(request, 'the object is out of scope or not registry-annotated');
    const review = mutationResponse(request.uid, object, judgement);
    return { review, verdict: review.response.patch ? 'patched' : 'allowed' };
  } catch (error) {
    return allowAfterInternalError(request, error);
  }
}
