// The publishing rules' settings (cli.md's --hold-grace, --policy, ...) and the one place
// that turns a diff into the writes they allow, for the reconcile loop and `diff` alike:
// the identity the diff judges ownership by, and the rules' input assembled from the plan,
// the cluster's look-ups and what the cache says about its kinds.

import type { ClusterLookups } from '../cluster/lookups.ts';
import type { DiffResult } from '../diff/diff.ts';
import type { AdoptedOwner, Identity } from '../diff/identity.ts';
import type { PlanOptions, PlanResult } from '../planner/index.ts';
import { applyPublishingRules, sourceUncertainty, type Policy, type RulesResult } from '../publishing-rules/index.ts';

export interface PublishingSettings {
  holdGraceMs: number;
  policy: Policy;
  maxRetireFraction: number;
  allowMassRetire: boolean;
  /** The namespaces this installation watches ([]: all). */
  namespaces: readonly string[];
  /** `--adopt-owner`. */
  adopt: readonly AdoptedOwner[];
}

export const PUBLISHING_DEFAULTS: PublishingSettings = {
  holdGraceMs: 10 * 60_000,
  policy: 'sync',
  maxRetireFraction: 0.5,
  allowMassRetire: false,
  namespaces: [],
  adopt: [],
};

/** Whose entries the diff may write: the plan's owner and installation, and the adopted owners. */
export function identityFor(plan: Pick<PlanOptions, 'owner' | 'installation'>, settings: PublishingSettings): Identity {
  return { owner: plan.owner, ...(plan.installation ? { installation: plan.installation } : {}), adopt: settings.adopt };
}

const NO_KINDS: ReadonlyMap<string, string> = new Map();

export interface DecideInput {
  diff: DiffResult;
  planned: PlanResult;
  lookups: ClusterLookups;
  settings: PublishingSettings;
  /** The registry can deprecate a version (RegistryClient.statusChanges). */
  statusChanges: boolean;
  now: number;
  /** First time each hold was seen (the previous pass's RulesResult.since). */
  since: ReadonlyMap<string, number>;
  /** ClusterCache.uncertainKinds() */
  uncertainKinds?: ReadonlyMap<string, string>;
  /** ClusterCache.unservedSinceStart() */
  unservedKinds?: ReadonlyMap<string, string>;
  /** ContentionTracker.isBlocked */
  contended?: (name: string) => boolean;
}

export function decideWrites(input: DecideInput): RulesResult {
  const { settings, lookups } = input;
  const uncertainKinds = input.uncertainKinds ?? NO_KINDS;
  const unservedKinds = input.unservedKinds ?? NO_KINDS;
  return applyPublishingRules({
    diff: input.diff,
    uncertainty: (source) => sourceUncertainty(source, lookups, uncertainKinds, unservedKinds),
    pending: new Map(input.planned.pending.map((p) => [p.name, p.reason])),
    now: input.now,
    holdGraceMs: settings.holdGraceMs,
    since: input.since,
    policy: settings.policy,
    maxRetireFraction: settings.maxRetireFraction,
    allowMassRetire: settings.allowMassRetire,
    namespaces: settings.namespaces,
    statusChanges: input.statusChanges,
    ...(input.contended ? { contended: input.contended } : {}),
  });
}
