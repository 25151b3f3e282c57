// What every step of one plan run shares: the cluster view, the options, the contract's
// judgements (memoized per object) and the report of skips and warnings.

import type { ClusterLookups } from '../cluster/lookups.ts';
import type { KubeObject } from '../kubernetes/objects.ts';
import type { Judgements } from './judgements.ts';
import type { PlanOptions } from './options.ts';
import type { PlanCache } from './plan-cache.ts';
import type { OriginCache } from './urls.ts';
import { withoutObjectPrefix, type ObjectRef, type PlanReport } from './result.ts';

export interface PlanContext {
  lookups: ClusterLookups;
  options: PlanOptions;
  judgements: Judgements;
  report: PlanReport;
  origins: OriginCache;
  /** Memory of earlier plans (publisher); absent for a one-off plan. */
  cache?: PlanCache;
}

/**
 * Why an object that could not be walked is skipped: its spec, or that of an object it
 * refers to, breaks the CRD schema where the planner reads it (a field of the wrong type).
 */
export function malformedReason(error: unknown): string {
  const detail = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ').slice(0, 200);
  return `a spec it depends on does not follow its CRD schema, so it cannot be planned (${detail})`;
}

export function isBeingDeleted(object: KubeObject): boolean {
  return !!object.metadata?.deletionTimestamp;
}

/**
 * For an exported object: its contract warnings become plan warnings, and its first
 * contract error (if any) the reason it is skipped. Returns false when it was skipped.
 */
export function passesContract(context: PlanContext, object: KubeObject, ref: ObjectRef): boolean {
  const judgement = context.judgements.of(object);
  const { defaultNamespace } = context.options;
  for (const warning of judgement.warnings) context.report.warn(ref, withoutObjectPrefix(warning.message, object, defaultNamespace));
  const error = judgement.errors[0];
  if (error) {
    const more = judgement.errors.length > 1 ? ` (and ${judgement.errors.length - 1} more contract error${judgement.errors.length > 2 ? 's' : ''})` : '';
    context.report.skip(ref, `${withoutObjectPrefix(error.message, object, defaultNamespace)}${more}`);
    return false;
  }
  return true;
}
