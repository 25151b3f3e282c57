// The planner (discovery.md): a pure function from cluster objects to the registry entries
// they should produce, with every exported object that yields nothing in `skipped`,
// everything that deserves a look in `warnings`, and the names whose MCP resources are not
// ready yet in `pending` (readiness.ts). `plan` runs it on manifests; the publisher
// runs it on its informer caches, through ClusterLookups, and diffs the result against the
// entries it owns.

import { isClusterLookups, type ClusterLookups } from '../cluster/lookups.ts';
import { ObjectIndex } from '../cluster/object-index.ts';
import type { KubeObject } from '../kubernetes/objects.ts';
import { refKey } from './contributions.ts';
import { directExports } from './direct-exports.ts';
import { buildEntries } from './entries.ts';
import { Judgements } from './judgements.ts';
import { resolvePlanOptions, type PlanOptions } from './options.ts';
import type { PlanCache } from './plan-cache.ts';
import type { PlanContext } from './plan-context.ts';
import { pendingNames } from './readiness.ts';
import { PlanReport, type PlanResult } from './result.ts';
import { routeExports } from './route-exports.ts';
import { OriginCache } from './urls.ts';

export interface PlanRun {
  /**
   * Keep one across plans (the publisher does) so what did not change is not worked out
   * again. The result is the same with or without it.
   */
  cache?: PlanCache;
}

export function plan(input: ClusterLookups | Iterable<KubeObject>, options: Partial<PlanOptions> = {}, run: PlanRun = {}): PlanResult {
  const resolved = resolvePlanOptions(options);
  const lookups = isClusterLookups(input) ? input : new ObjectIndex(input, resolved.defaultNamespace);
  const contractOptions = { namePrefix: resolved.namePrefix, referentialChecks: 'deny' as const, defaultNamespace: resolved.defaultNamespace };
  const { cache } = run;
  cache?.useOptions(JSON.stringify(resolved));
  const context: PlanContext = {
    lookups,
    options: resolved,
    judgements: new Judgements(contractOptions, cache?.judgements),
    report: new PlanReport(),
    origins: new OriginCache(),
    ...(cache ? { cache } : {}),
  };
  const direct = directExports(context);
  const routes = routeExports(context);
  for (const resource of direct.withoutUrl) {
    if (!routes.publishedResources.has(refKey(resource.ref))) {
      context.report.skip(resource.ref, 'registry-export is "true" but it has no registry-url and no exported HTTPRoute publishes it');
    }
  }
  const entries = buildEntries([...direct.contributions, ...routes.contributions], resolved, context.report, lookups, cache);
  // From the phases the lookups hold now, never from a cache: a phase change alone counts.
  const pending = pendingNames(entries, lookups, context.report);
  // Copies: an empty report answers with a shared empty array.
  return { entries, skipped: [...context.report.skipped], warnings: [...context.report.warnings], pending };
}
