// Exported HTTPRoutes (discovery.md sections 1 and 2): each contributes remotes for the
// MCP resources its rules reach, or, when it reaches none but names and describes itself,
// a route-only entry for a remote MCP server that ToolHive does not manage.

import { expandRegistryName } from '../contract/registry-name.ts';
import { ruleForwards } from '../gateway-api/forwarding.ts';
import { isHTTPRoute } from '../kubernetes/kinds.ts';
import type { HTTPRoute } from '../kubernetes/objects.ts';
import { resolveRouteBackends, type RouteBackend, type RuleSplit } from '../toolhive/backends.ts';
import { compareRefs, refKey, type Contribution, type Contributor } from './contributions.ts';
import { ruleLabel } from './paths.ts';
import { isBeingDeleted, malformedReason, passesContract, type PlanContext } from './plan-context.ts';
import type { RouteWalk } from './plan-cache.ts';
import { answersHold, RecordedLookups } from './recorded-lookups.ts';
import { describeRef, objectRef, PlanReport, withoutObjectPrefix, type ObjectRef } from './result.ts';
import { remotesToBackend, routeOnlyRemotes, routeOrigins } from './route-remotes.ts';

export interface RouteExports {
  contributions: Contribution[];
  /** refKey of every MCP resource some exported route gave a remote. */
  publishedResources: Set<string>;
}

function exportedRoutes(context: PlanContext): { route: HTTPRoute; ref: ObjectRef }[] {
  const { lookups, options, judgements } = context;
  const routes: { route: HTTPRoute; ref: ObjectRef }[] = [];
  for (const object of lookups.list('HTTPRoute')) {
    if (!isHTTPRoute(object) || isBeingDeleted(object)) continue;
    if (judgements.of(object).values.export !== true) continue;
    routes.push({ route: object, ref: objectRef(object, options.defaultNamespace) });
  }
  return routes.sort((a, b) => compareRefs(a.ref, b.ref));
}

function routeContributor(context: PlanContext, route: HTTPRoute, ref: ObjectRef): Contributor {
  return { object: route, ref, values: context.judgements.of(route).values, exported: true };
}

/** The remotes for one MCP resource behind the route, or why there are none. */
function backendContribution(context: PlanContext, route: Contributor, backend: RouteBackend, origins: string[]): Contribution | string {
  const { options, judgements, report } = context;
  const ref: ObjectRef = { kind: backend.kind, namespace: backend.namespace, name: backend.name };
  const label = `${backend.kind} ${backend.namespace}/${backend.name}`;
  if (isBeingDeleted(backend.resource)) return `${label} is being deleted`;
  const { errors, values } = judgements.of(backend.resource);
  const error = errors[0];
  if (error) return `${label} has annotation errors: ${withoutObjectPrefix(error.message, backend.resource, options.defaultNamespace)}`;
  const remotes = remotesToBackend(origins, backend, route.ref.name);
  for (const warning of remotes.warnings) report.warn(route.ref, warning);
  if ('problem' in remotes) return remotes.problem;
  const resource: Contributor = { object: backend.resource, ref, values, exported: values.export === true };
  return {
    kind: 'route',
    // The route's registry-name wins over the resource's; the name belongs to the resource's namespace.
    registryName: expandRegistryName(route.values.name ?? values.name ?? backend.name, backend.namespace, options.namePrefix),
    owningNamespace: backend.namespace,
    route,
    resource,
    type: remotes.type,
    urls: remotes.urls,
  };
}

/** `a`, `a and b`, `a, b and c`. */
function listed(items: string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/**
 * One rule is one endpoint (discovery.md section 2): the warning on a rule whose backendRefs
 * name several MCP resources (a traffic split). It names the rule by position (or name) and
 * the resources, never the weights, and comes at every weight (100/0 included): a rollout
 * moves the weights step by step, and the line stays the same through it.
 */
function splitWarning(split: RuleSplit): string {
  const winner = describeRef(split.winner);
  const others = split.others.map(describeRef);
  return `${ruleLabel(split.rule, split.ruleIndex)} has backendRefs to ${listed([winner, ...others])}: one rule is one endpoint, published for ${winner} (the first of them, whatever the weights); ${listed(others)} ${others.length === 1 ? 'gets' : 'get'} no remote through this rule`;
}

function routeOnlyContribution(context: PlanContext, route: Contributor, origins: string[]): Contribution | string {
  const { options, report } = context;
  const remotes = routeOnlyRemotes(origins, (route.object as HTTPRoute).spec?.rules ?? [], route.values.transport ?? 'streamable-http', route.ref.name);
  for (const warning of remotes.warnings) report.warn(route.ref, warning);
  if ('problem' in remotes) return remotes.problem;
  return {
    kind: 'route-only',
    registryName: expandRegistryName(route.values.name!, route.ref.namespace, options.namePrefix),
    owningNamespace: route.ref.namespace,
    route,
    type: remotes.type,
    urls: remotes.urls,
  };
}

/**
 * A spec that breaks the CRD schema (the API server rejects such objects, manifests may still
 * hold one), the route's or one it looks at, skips the route instead of failing the plan.
 */
function walkRoute(context: PlanContext, route: HTTPRoute, ref: ObjectRef): Contribution[] {
  try {
    return walkWellFormedRoute(context, route, ref);
  } catch (error) {
    context.report.skip(ref, malformedReason(error));
    return [];
  }
}

/** One route's contributions; skips and warnings go to `context.report`. */
function walkWellFormedRoute(context: PlanContext, route: HTTPRoute, ref: ObjectRef): Contribution[] {
  const { lookups, report } = context;
  if (!passesContract(context, route, ref)) return [];
  // Before anything else about backends: a route that only redirects has nothing to publish.
  if (!(route.spec?.rules ?? []).some(ruleForwards)) {
    report.skip(ref, `no rule of route ${ref.name} forwards to a backend`);
    return [];
  }
  const contributor = routeContributor(context, route, ref);
  const resolution = resolveRouteBackends(route, ref.namespace, lookups);
  if (resolution.ambiguous) {
    report.skip(ref, `ambiguous backend: ${resolution.ambiguous}`);
    return [];
  }
  for (const split of resolution.splits) report.warn(ref, splitWarning(split));
  const routeOnly = resolution.backends.length === 0;
  if (routeOnly && !(contributor.values.name && contributor.values.description)) {
    report.skip(ref, 'backend is not a known MCP resource (to export a remote MCP server that ToolHive does not manage, set registry-name and registry-description)');
    return [];
  }
  const origins = routeOrigins(route, ref.namespace, lookups, context.origins);
  for (const warning of origins.warnings) report.warn(ref, warning);
  if (origins.origins.length === 0) {
    report.skip(ref, origins.problems.join('; '));
    return [];
  }
  const outcomes = routeOnly
    ? [routeOnlyContribution(context, contributor, origins.origins)]
    : resolution.backends.map((backend) => backendContribution(context, contributor, backend, origins.origins));
  const problems = outcomes.filter((outcome): outcome is string => typeof outcome === 'string');
  const contributions = outcomes.filter((outcome): outcome is Contribution => typeof outcome !== 'string');
  if (contributions.length === 0) {
    report.skip(ref, problems.join('; '));
    return [];
  }
  for (const problem of problems) report.warn(ref, `no remote for it: ${problem}`);
  return contributions;
}

/** The walk of a route, remembered from an earlier plan while its look-ups answer the same. */
function rememberedWalk(context: PlanContext, route: HTTPRoute, ref: ObjectRef): RouteWalk {
  const remembered = context.cache?.routeWalks.get(route);
  if (remembered && answersHold(remembered.answers, context.lookups)) return remembered;
  const lookups = new RecordedLookups(context.lookups);
  const report = new PlanReport();
  const contributions = walkRoute({ ...context, lookups, report }, route, ref);
  const walk: RouteWalk = { answers: lookups.answers, report, contributions };
  context.cache?.routeWalks.set(route, walk);
  return walk;
}

export function routeExports(context: PlanContext): RouteExports {
  const result: RouteExports = { contributions: [], publishedResources: new Set() };
  for (const { route, ref } of exportedRoutes(context)) {
    const walk = context.cache ? rememberedWalk(context, route, ref) : undefined;
    const contributions = walk ? walk.contributions : walkRoute(context, route, ref);
    if (walk) context.report.replay(walk.report);
    for (const contribution of contributions) {
      result.contributions.push(contribution);
      if (contribution.resource) result.publishedResources.add(refKey(contribution.resource.ref));
    }
  }
  return result;
}
