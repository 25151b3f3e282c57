// Whose entry a registry document is (publishing.md §3), as external-dns tells its own
// records by the owner ID in their TXT record, with one more level: the installation, so
// two releases of one owner in one cluster (one unscoped, one with --namespace) never take
// each other's names. Pure.
//
//   ours        the record names our owner and our installation, or our owner and no
//               installation (a record older than the field: it gains it at its next
//               change), or an owner[/installation] we were told to adopt;
//   sibling     our owner, another installation: never written, a conflict when planned;
//   foreign     another owner: never written, a conflict when planned;
//   unrecorded  no ownership record: someone else published it by hand.

import { installationOf, ownerOf } from '../planner/ownership.ts';

export interface AdoptedOwner {
  owner: string;
  /** Only this installation of that owner; undefined: all of them. */
  installation?: string;
}

export interface Identity {
  owner: string;
  /** undefined: every record of the owner counts as this installation's (a single installation). */
  installation?: string;
  /** `--adopt-owner`: records treated as ours, rewritten with our identity at their next change. */
  adopt?: readonly AdoptedOwner[];
}

export type Standing = 'ours' | 'sibling' | 'foreign' | 'unrecorded';

/** `ID` or `ID/INSTALLATION`; the installation itself may hold a slash (`namespace/lease`). */
export function parseAdoptedOwner(text: string): AdoptedOwner {
  const slash = text.indexOf('/');
  if (slash < 0) return { owner: text };
  return { owner: text.slice(0, slash), installation: text.slice(slash + 1) };
}

export function asIdentity(identity: string | Identity): Identity {
  return typeof identity === 'string' ? { owner: identity } : identity;
}

export function standingOf(server: { _meta?: Record<string, unknown> }, identity: Identity): Standing {
  const owner = ownerOf(server);
  if (owner === undefined) return 'unrecorded';
  const installation = installationOf(server);
  if (identity.adopt?.some((a) => a.owner === owner && (a.installation === undefined || a.installation === installation))) return 'ours';
  if (owner !== identity.owner) return 'foreign';
  if (installation === undefined || identity.installation === undefined || installation === identity.installation) return 'ours';
  return 'sibling';
}

/** One line on why a planned name cannot be written, for a document that is not ours. */
export function conflictReason(name: string, server: { _meta?: Record<string, unknown> }, standing: Exclude<Standing, 'ours'>): string {
  if (standing === 'unrecorded') return `the registry's ${name} has no ownership record (published by someone else)`;
  if (standing === 'sibling') return `the registry's ${name} belongs to installation ${installationOf(server)} of this owner`;
  return `the registry's ${name} belongs to owner ${ownerOf(server)}`;
}
