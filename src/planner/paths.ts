// The public path of a remote (discovery.md section 6): which path match of an HTTPRoute
// reaches the MCP endpoint E of its backend, taking URLRewrite into account, and the path
// a client must call. Path matching is segment-wise, as Gateway API's PathPrefix is.

import { ruleForwards } from '../gateway-api/forwarding.ts';
import type { HTTPPathMatch, HTTPRouteMatch, HTTPRouteRule, HTTPURLRewriteFilter } from '../kubernetes/objects.ts';

export interface PublicPath {
  path: string;
  warnings: string[];
}

export type PathResult = PublicPath | { problem: string; warnings: string[] };

/** The backend side: E and what an SSE server announces (see the prefix warning). */
export interface EndpointTarget {
  path: string;
  transport: 'sse' | 'streamable-http';
  endpointPrefix?: string;
}

/** Leading slash, no trailing slash (except the root). */
export function normalizePath(path: string): string {
  let result = path.startsWith('/') ? path : `/${path}`;
  while (result.length > 1 && result.endsWith('/')) result = result.slice(0, -1);
  return result;
}

/** `/github` + `/mcp` -> `/github/mcp`; `/` + `/mcp` -> `/mcp`; no doubled or trailing slashes. */
export function joinPaths(base: string, rest: string): string {
  return normalizePath(`${base}/${rest}`.replace(/\/{2,}/g, '/'));
}

/** Is `path` equal to `prefix` or below it, segment by segment? */
export function isUnderPrefix(path: string, prefix: string): boolean {
  const p = normalizePath(path);
  const q = normalizePath(prefix);
  return q === '/' || p === q || p.startsWith(`${q}/`);
}

type PathRewrite = NonNullable<HTTPURLRewriteFilter['path']>;

function pathRewriteOf(rule: HTTPRouteRule): PathRewrite | undefined {
  return rule.filters?.find((filter) => filter.type === 'URLRewrite')?.urlRewrite?.path;
}

/** A match without `path` means `PathPrefix /`; a path without `type` is a PathPrefix (CRD defaults). */
function pathOf(match: HTTPRouteMatch): Required<HTTPPathMatch> {
  return { type: match.path?.type ?? 'PathPrefix', value: match.path?.value ?? '/' };
}

/** What a registry client would not send: a match that needs them does not apply to it. */
function extraConditions(match: HTTPRouteMatch): string[] {
  const extra: string[] = [];
  if (match.headers && match.headers.length > 0) extra.push('headers');
  if (match.queryParams && match.queryParams.length > 0) extra.push('query parameters');
  if (match.method) extra.push(`method ${match.method}`);
  return extra;
}

interface Candidate {
  label: string;
  path: Required<HTTPPathMatch>;
  rewrite: PathRewrite | undefined;
  extra: string[];
}

/** How warnings name a rule: by its name, else by its position in the route (`rule 2`). */
export function ruleLabel(rule: HTTPRouteRule, ruleIndex: number): string {
  return rule.name ? `rule ${rule.name}` : `rule ${ruleIndex + 1}`;
}

/**
 * The path matches of the rules that forward, in order; a rule that does not forward offers
 * none. `positions[i]` is the place of `rules[i]` in the route (default: `i`), so that labels
 * name the route's rule when `rules` are some of them.
 */
function candidatesOf(rules: readonly HTTPRouteRule[], positions?: readonly number[]): Candidate[] {
  const candidates: Candidate[] = [];
  rules.forEach((rule, index) => {
    if (!ruleForwards(rule)) return; // a redirect (or a rule without backends) never reaches the server
    const rewrite = pathRewriteOf(rule);
    const label = ruleLabel(rule, positions?.[index] ?? index);
    const matches = rule.matches && rule.matches.length > 0 ? rule.matches : [{}];
    matches.forEach((match, matchIndex) => {
      const path = pathOf(match);
      candidates.push({ label: `${label} match ${matchIndex + 1} (${path.type} ${path.value})`, path, rewrite, extra: extraConditions(match) });
    });
  });
  return candidates;
}

/** The public path through one match if it reaches E, else undefined (the table of section 6). */
export function publicPathThrough(path: Required<HTTPPathMatch>, rewrite: PathRewrite | undefined, endpoint: string): string | undefined {
  const e = normalizePath(endpoint);
  const rewriteType = rewrite?.type;
  if (path.type === 'Exact') {
    if (rewriteType === 'ReplaceFullPath') return normalizePath(rewrite?.replaceFullPath ?? '/') === e ? path.value : undefined;
    if (rewriteType === 'ReplacePrefixMatch') return undefined; // not valid with Exact (Gateway API CEL)
    return normalizePath(path.value) === e ? path.value : undefined;
  }
  if (path.type === 'PathPrefix') {
    const prefix = normalizePath(path.value);
    if (rewriteType === 'ReplaceFullPath') return normalizePath(rewrite?.replaceFullPath ?? '/') === e ? prefix : undefined;
    if (rewriteType === 'ReplacePrefixMatch') {
      const replacement = normalizePath(rewrite?.replacePrefixMatch ?? '/');
      if (!isUnderPrefix(e, replacement)) return undefined;
      return joinPaths(prefix, replacement === '/' ? e : e.slice(replacement.length));
    }
    return isUnderPrefix(e, prefix) ? e : undefined;
  }
  return undefined; // RegularExpression (or unknown): a regular expression cannot be published
}

/**
 * The first match of the rules that reaches the endpoint, and its public path. Matches that
 * would reach it but also need headers, query parameters or a method are passed over with a
 * warning; SSE behind a stripped prefix is published with a warning unless the server knows
 * the prefix (`spec.endpointPrefix`).
 */
export function publicPathToEndpoint(rules: readonly HTTPRouteRule[], target: EndpointTarget, routeName: string, positions?: readonly number[]): PathResult {
  const warnings: string[] = [];
  for (const candidate of candidatesOf(rules, positions)) {
    const path = publicPathThrough(candidate.path, candidate.rewrite, target.path);
    if (path === undefined) continue;
    if (candidate.extra.length > 0) {
      warnings.push(`${candidate.label} reaches ${target.path} but also requires ${candidate.extra.join(' and ')}, which a registry client would not send; passed over`);
      continue;
    }
    const sseWarning = strippedPrefixWarning(candidate, target, path);
    if (sseWarning) warnings.push(sseWarning);
    return { path, warnings };
  }
  return { problem: `route ${routeName} cannot reach the endpoint ${target.path}`, warnings };
}

// An SSE server tells the client where to POST messages (`<endpointPrefix>/messages?...`);
// behind a prefix the route strips, that path misses the prefix unless endpointPrefix has it.
function strippedPrefixWarning(candidate: Candidate, target: EndpointTarget, publicPath: string): string | undefined {
  if (target.transport !== 'sse' || candidate.path.type !== 'PathPrefix') return undefined;
  if (candidate.rewrite?.type !== 'ReplacePrefixMatch' || publicPath === normalizePath(target.path)) return undefined;
  const prefix = normalizePath(candidate.path.value);
  if (target.endpointPrefix !== undefined && normalizePath(target.endpointPrefix) === prefix) return undefined;
  return `${candidate.label} strips the prefix ${prefix} in front of an SSE endpoint; set spec.endpointPrefix to ${prefix} on the MCP resource or the server announces its message endpoint without it`;
}

/** Route-only exports have no E: the first publishable match path is the URL path. */
export function publicPathOfMatch(rules: readonly HTTPRouteRule[], routeName: string): PathResult {
  const warnings: string[] = [];
  for (const candidate of candidatesOf(rules)) {
    if (candidate.path.type !== 'Exact' && candidate.path.type !== 'PathPrefix') continue;
    if (candidate.extra.length > 0) {
      warnings.push(`${candidate.label} also requires ${candidate.extra.join(' and ')}, which a registry client would not send; passed over`);
      continue;
    }
    return { path: candidate.path.type === 'Exact' ? candidate.path.value : normalizePath(candidate.path.value), warnings };
  }
  return { problem: `route ${routeName} has no Exact or PathPrefix match to publish`, warnings };
}
