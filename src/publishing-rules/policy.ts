// `--policy` (publishing.md §2), named after external-dns' policies on purpose:
//   sync         every write;
//   upsert-only  never takes a name away: names no longer planned are reported, not retired
//                (a name's superseded versions are still retired after its new version,
//                which is part of an update, not a removal);
//   create-only  only publishes new names: no updates, no status changes, no retires.
// Pure.

import type { Write } from '../diff/diff.ts';

export const POLICIES = ['sync', 'upsert-only', 'create-only'] as const;
export type Policy = (typeof POLICIES)[number];

export function isPolicy(value: string): value is Policy {
  return (POLICIES as readonly string[]).includes(value);
}

/** A retire that takes the name away (not one of a superseded version). */
export function isNameRetire(write: Write): boolean {
  return write.kind === 'retire' && write.supersededBy === undefined;
}

/** Why the policy withholds the write, or undefined when it allows it. */
export function policyWithholds(policy: Policy, write: Write): string | undefined {
  if (policy === 'sync') return undefined;
  if (policy === 'upsert-only') return isNameRetire(write) ? 'policy upsert-only never retires a name' : undefined;
  return write.kind === 'publish' ? undefined : `policy create-only makes no ${write.kind}`;
}
