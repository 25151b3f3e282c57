// Which HTTPRoute rules forward requests to a backend (discovery.md section 2). A rule with
// a RequestRedirect filter answers with a 3xx and never reaches a backend (Gateway API
// does not allow RequestRedirect together with backendRefs, but such a rule must still not
// publish); a rule whose backendRefs all have `weight: 0` (or that has none) sends nothing
// anywhere. A backendRef with a RequestRedirect filter of its own (HTTPBackendRef.filters)
// redirects what is sent to it, so it does not count either.

import type { BackendRef, HTTPRouteFilter, HTTPRouteRule } from '../kubernetes/objects.ts';

/** A backendRef as HTTPRoute has it (HTTPBackendRef): it may carry filters of its own. */
type HTTPBackendRef = BackendRef & { filters?: readonly HTTPRouteFilter[] };

function redirects(filters: readonly HTTPRouteFilter[] | undefined): boolean {
  return (filters ?? []).some((filter) => filter.type === 'RequestRedirect');
}

/** Does this backendRef redirect what is sent to it (a RequestRedirect filter of its own)? */
export function backendRefRedirects(ref: BackendRef): boolean {
  return redirects((ref as HTTPBackendRef).filters);
}

/** Does traffic sent to this backendRef reach it? `weight` defaults to 1. */
export function backendRefForwards(ref: BackendRef): boolean {
  return ref.weight !== 0 && !backendRefRedirects(ref);
}

/** Does the rule forward to a backend: no RequestRedirect filter, a backendRef that forwards. */
export function ruleForwards(rule: HTTPRouteRule): boolean {
  return !redirects(rule.filters) && (rule.backendRefs ?? []).some(backendRefForwards);
}
