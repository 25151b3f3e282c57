// One read-only round of the publisher's pipeline, for `diff`: plan, read what the
// registry holds in this owner's scope, diff, and apply the publishing rules as the
// publisher would at this moment (a hold is shown as a hold: `diff` cannot know how long
// the state has lasted, so no hold has passed its grace here). Writes nothing.

import { isClusterLookups, type ClusterLookups } from '../cluster/lookups.ts';
import { ObjectIndex } from '../cluster/object-index.ts';
import type { KubeObject } from '../kubernetes/objects.ts';
import { diffEntries, type DiffResult } from '../diff/diff.ts';
import { plan, type PlanOptions, type PlanResult } from '../planner/index.ts';
import type { RulesResult } from '../publishing-rules/index.ts';
import type { RegistryClient } from '../registry/client.ts';
import { decideWrites, identityFor, PUBLISHING_DEFAULTS, type PublishingSettings } from './publishing-settings.ts';
import { readScope } from './read-scope.ts';
import { RegistryView } from './registry-view.ts';

export interface DiffOnce {
  plan: PlanResult;
  diff: DiffResult;
  rules: RulesResult;
}

export interface DiffOnceOptions {
  rules?: Partial<PublishingSettings>;
  /** Kinds the live cluster's cache cannot answer for now. */
  uncertainKinds?: ReadonlyMap<string, string>;
}

export async function diffOnce(input: ClusterLookups | Iterable<KubeObject>, options: PlanOptions, client: RegistryClient, extra: DiffOnceOptions = {}): Promise<DiffOnce> {
  const lookups = isClusterLookups(input) ? input : new ObjectIndex(input, options.defaultNamespace);
  const planned = plan(lookups, options);
  const scope = readScope(options.namePrefix, await client.publishPatterns(), planned.entries.map((entry) => entry.name));
  const view = await RegistryView.load(client, scope);
  const settings = { ...PUBLISHING_DEFAULTS, ...extra.rules };
  const diff = diffEntries(planned.entries, view.entries(), identityFor(options, settings));
  // Every hold starts now (`since` empty): none has passed a grace above 0, as in the publisher's first pass.
  const rules = decideWrites({
    diff,
    planned,
    lookups,
    settings,
    statusChanges: client.statusChanges,
    now: Date.now(),
    since: new Map(),
    ...(extra.uncertainKinds ? { uncertainKinds: extra.uncertainKinds } : {}),
  });
  return { plan: planned, diff, rules };
}
