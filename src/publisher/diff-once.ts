// One read-only round of the publisher's pipeline, for `diff`: plan, read what the
// registry holds in this owner's scope, diff. Writes nothing.

import type { ClusterLookups } from '../cluster/lookups.ts';
import type { KubeObject } from '../kubernetes/objects.ts';
import { diffEntries, type DiffResult } from '../diff/diff.ts';
import { plan, type PlanOptions, type PlanResult } from '../planner/index.ts';
import type { RegistryClient } from '../registry/client.ts';
import { readScope } from './read-scope.ts';
import { RegistryView } from './registry-view.ts';

export interface DiffOnce {
  plan: PlanResult;
  diff: DiffResult;
}

export async function diffOnce(input: ClusterLookups | Iterable<KubeObject>, options: PlanOptions, client: RegistryClient): Promise<DiffOnce> {
  const planned = plan(input, options);
  const scope = readScope(options.namePrefix, await client.publishPatterns(), planned.entries.map((entry) => entry.name));
  const view = await RegistryView.load(client, scope);
  return { plan: planned, diff: diffEntries(planned.entries, view.entries(), options.owner) };
}
