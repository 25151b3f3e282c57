// The publishing rules (shared/spec/publishing.md): what the publisher may write now, given
// the diff and what the cluster knows for certain. Pure; used by publisher, run, diff, prune.

export { applyPublishingRules, holdKey, type Hold, type RulesInput, type RulesResult, type Withheld, type WithheldRule } from './decide.ts';
export { withinNamespaces } from './namespace-scope.ts';
export { isNameRetire, isPolicy, policyWithholds, POLICIES, type Policy } from './policy.ts';
export { massRetireRefusal } from './retire-guard.ts';
export { sourceUncertainty, staleStatus, type HoldCategory, type Uncertainty } from './uncertainty.ts';
export { ContentionTracker } from './contention.ts';
