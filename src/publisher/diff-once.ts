// One read-only round of the publisher's pipeline, for `diff`: plan, read what the
// registry holds in this owner's scope, diff, and apply the publishing rules as the
// publisher would at this moment (a hold is shown as a hold: `diff` cannot know how long
// the state has lasted, so no hold has passed its grace here). Writes nothing.

import type { ClusterLookups } from '../cluster/lookups.ts';
import { ObjectIndex } from '../cluster/object-index.ts';
import type { KubeObject } from '../kubernetes/objects.ts';
import { diffEntries, type DiffResult } from '../diff/diff.ts';
import type { Identity } from '../diff/identity.ts';
import { plan, type PlanOptions, type PlanResult } from '../planner/index.ts';
import { applyPublishingRules, sourceUncertainty, type RulesResult } from '../publishing-rules/index.ts';
import type { RegistryClient } from '../registry/client.ts';
import { readScope } from './read-scope.ts';
import { RegistryView } from './registry-view.ts';
import { PUBLISHING_DEFAULTS, type PublishingSettings } from './reconciler.ts';

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

function isLookups(input: ClusterLookups | Iterable<KubeObject>): input is ClusterLookups {
  return typeof (input as Partial<ClusterLookups>).get === 'function';
}

export async function diffOnce(input: ClusterLookups | Iterable<KubeObject>, options: PlanOptions, client: RegistryClient, extra: DiffOnceOptions = {}): Promise<DiffOnce> {
  const lookups = isLookups(input) ? input : new ObjectIndex(input, options.defaultNamespace);
  const planned = plan(lookups, options);
  const scope = readScope(options.namePrefix, await client.publishPatterns(), planned.entries.map((entry) => entry.name));
  const view = await RegistryView.load(client, scope);
  const settings = { ...PUBLISHING_DEFAULTS, ...extra.rules };
  const identity: Identity = { owner: options.owner, ...(options.installation ? { installation: options.installation } : {}), adopt: settings.adopt };
  const diff = diffEntries(planned.entries, view.entries(), identity);
  const kinds = extra.uncertainKinds ?? new Map<string, string>();
  const rules = applyPublishingRules({
    diff,
    uncertainty: (source) => sourceUncertainty(source, lookups, kinds),
    pending: new Map((planned.pending ?? []).map((p) => [p.name, p.reason])),
    now: Date.now(),
    // Every hold starts now: none has passed its grace.
    holdGraceMs: Math.max(1, settings.holdGraceMs),
    since: new Map(),
    policy: settings.policy,
    maxRetireFraction: settings.maxRetireFraction,
    allowMassRetire: settings.allowMassRetire,
    namespaces: settings.namespaces,
    statusChanges: client.statusChanges,
  });
  return { plan: planned, diff, rules };
}
