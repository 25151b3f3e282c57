// The annotation contract as one pure function per object: normalize every registry
// annotation, apply the value rules, then (for exported objects) the checks that look at
// other objects. Shared by the admission webhook, `validate` and the planner.

import { isAnnotatedMCPObject, isHTTPRoute } from '../kubernetes/kinds.ts';
import { isPlainObject, namespaceOf, type KubeObject } from '../kubernetes/objects.ts';
import { closestKnownKey } from './did-you-mean.ts';
import { ANNOTATION_PREFIX, isContractKey, isRegistryAnnotated, KEY_SCOPES, knownShortKeyOf, type ShortKey } from './keys.ts';
import { annotationFinding, displayKey, objectFinding } from './messages.ts';
import { referentialFindings } from './referential.ts';
import type { ContractContext, ContractOptions, Judgement } from './types.ts';
import { judgeValue } from './value-rules.ts';

export const MAX_VALUE_BYTES = 8192;

const WRONG_KIND_RULE: Record<ShortKey, string> = {
  'registry-url': 'is not allowed on an HTTPRoute: the route\'s URL is derived from its parent Gateway',
  'registry-transport': 'is only for HTTPRoutes: an MCP resource\'s transport comes from its spec',
  tools: 'is only for MCP resources (use registry-tools on an HTTPRoute)',
  'tool-definitions': 'is only for MCP resources',
  'authz-claims': 'is only for MCP resources',
} as Record<ShortKey, string>;

// Admission requests and manifests can carry anything; only a map of annotations counts.
function annotationsOfUntrusted(object: KubeObject): Record<string, string> {
  const annotations: unknown = isPlainObject(object) && isPlainObject(object.metadata) ? object.metadata.annotations : undefined;
  return isPlainObject(annotations) ? (annotations as Record<string, string>) : {};
}

function nonStringKind(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'boolean' || typeof value === 'number' || typeof value === 'bigint') return `the ${typeof value} ${String(value)}`;
  return Array.isArray(value) ? 'an array' : `a value of type ${typeof value}`;
}

/** Is the object one of the kinds the contract covers (HTTPRoute, an MCP resource, an MCPServerEntry)? */
export function isInScope(object: KubeObject): boolean {
  return isHTTPRoute(object) || isAnnotatedMCPObject(object);
}

/** The per-object rules only: no look-ups of other objects. */
export function judgeAnnotations(object: KubeObject, options: ContractOptions): Judgement {
  const annotations = annotationsOfUntrusted(object);
  const judgement: Judgement = { applies: false, errors: [], warnings: [], normalized: {}, annotations: { ...annotations } };
  if (!isPlainObject(object) || !isInScope(object) || !isRegistryAnnotated(annotations)) return judgement;
  judgement.applies = true;
  const objectScope = isHTTPRoute(object) ? 'route' : 'mcp';
  const { defaultNamespace } = options;
  const valueContext = { owningNamespace: namespaceOf(object, defaultNamespace), namePrefix: options.namePrefix };
  for (const [key, raw] of Object.entries(annotations)) {
    const shortKey = knownShortKeyOf(key);
    if (shortKey === undefined && !isContractKey(key)) continue;
    // Kubernetes stores only strings; a raw AdmissionReview or a manifest can hold anything.
    if (typeof raw !== 'string') {
      judgement.errors.push(objectFinding(object, defaultNamespace, key, `annotation ${displayKey(key)}: is ${nonStringKind(raw)}, not a string (quote the value)`));
      continue;
    }
    const value = raw;
    // A UTF-16 unit is at most 3 UTF-8 bytes: only long values need counting.
    if (value.length * 3 > MAX_VALUE_BYTES && Buffer.byteLength(value, 'utf8') > MAX_VALUE_BYTES) {
      const bytes = Buffer.byteLength(value, 'utf8');
      judgement.errors.push(annotationFinding(object, defaultNamespace, key, value, `is ${bytes} bytes long, at most ${MAX_VALUE_BYTES} are allowed`));
      continue;
    }
    if (shortKey === undefined) {
      const hint = closestKnownKey(key.slice(ANNOTATION_PREFIX.length));
      const rule = `is not a known registry annotation${hint ? `; did you mean ${hint}?` : ''}`;
      judgement.errors.push(annotationFinding(object, defaultNamespace, key, value, rule));
      continue;
    }
    const keyScope = KEY_SCOPES[shortKey];
    if (keyScope !== 'both' && keyScope !== objectScope) {
      judgement.errors.push(annotationFinding(object, defaultNamespace, key, value, WRONG_KIND_RULE[shortKey]));
      continue;
    }
    const { normalized, outcome } = judgeValue(shortKey, value, valueContext);
    if (normalized !== value) {
      judgement.normalized[key] = normalized;
      judgement.annotations[key] = normalized;
    }
    for (const error of outcome.errors) judgement.errors.push(annotationFinding(object, defaultNamespace, key, normalized, error));
    for (const warning of outcome.warnings) judgement.warnings.push(annotationFinding(object, defaultNamespace, key, normalized, warning));
  }
  return judgement;
}

/** The whole contract: per-object rules plus, for exported objects, the referential checks. */
export function judgeObject(object: KubeObject, context: ContractContext): Judgement {
  const judgement = judgeAnnotations(object, context.options);
  if (!judgement.applies) return judgement;
  if (judgement.annotations[`${ANNOTATION_PREFIX}registry-export`] !== 'true') return judgement;
  try {
    const findings = referentialFindings(object, judgement.annotations, context);
    judgement.errors.push(...findings.errors);
    judgement.warnings.push(...findings.warnings);
  } catch (error) {
    // A spec that breaks the CRD schema: the API server rejects it after mutation anyway
    // (validating webhooks only see schema-valid objects); manifests may still carry one.
    const reason = error instanceof Error ? error.message : String(error);
    judgement.warnings.push(objectFinding(object, context.options.defaultNamespace, null, `spec is malformed, checks against other objects skipped (${reason})`));
  }
  return judgement;
}
