// Which version a publish of a name gets. Upstream registry versions are immutable and a
// retired name@version is never free again, yet a content change must become what
// `versions/latest` returns. So every publish of a name takes the next revision of its
// base version (the planner's: registry-version, the image tag, or 1.0.0):
//
//   revision 0   the base itself                 1.2.3        1.0.0-beta.1     2024-05
//   revision N   a pseudo-version after it       1.2.4-0.N    1.0.0-beta.1.0.N 2024-05-rN
//
// as Go modules do for commits after a tag: `X.Y.(Z+1)-0.N` sorts after `X.Y.Z` (a
// prerelease of `X.Y.Z` would sort before it) and before any real `X.Y.(Z+1)` or
// `X.Y.(Z+1)-anything`; `PRE.0.N` sorts after `PRE` and before the next prerelease.
// Identifiers are numeric, so revision 10 sorts after revision 9. A base that is not semver
// under the registry's rules keeps its text with `-rN` (the registry orders non-semvers
// by publish time, so the newest wins among them). Only publish permission is needed:
// nothing is ever edited in place.
//
// The next revision is one more than the highest revision of the same base the name has
// ever had (retired ones included). When the base itself went down (a rollback), the new
// version may rank below an older one; then it becomes latest once the older versions are
// retired (the registry recomputes latest over the versions that are not deleted), and
// `ranksFirst` tells the caller when it has to make that happen.

import { compareRegistryVersions, parseRegistrySemver, type VersionAt } from './registry-order.ts';

/** The registry's limit on `version`. */
export const MAX_VERSION_LENGTH = 255;

/** The version of revision `revision` of `base`. */
export function revisionVersion(base: string, revision: number): string {
  if (revision === 0) return base;
  const semver = parseRegistrySemver(base);
  if (!semver) return `${base}-r${revision}`;
  const { prefix, major, minor, patch, prerelease } = semver;
  if (prerelease.length === 0) return `${prefix}${major}.${minor}.${(BigInt(patch) + 1n).toString()}-0.${revision}`;
  return `${prefix}${major}.${minor}.${patch}-${prerelease.join('.')}.0.${revision}`;
}

/** The revision of `base` that `version` is, or undefined when it is none of them. */
export function revisionOf(base: string, version: string): number | undefined {
  if (version === base) return 0;
  const start = revisionVersion(base, 1);
  const stem = start.slice(0, start.length - 1); // everything before the revision number
  if (!version.startsWith(stem)) return undefined;
  const digits = version.slice(stem.length);
  if (!/^[1-9][0-9]{0,15}$/.test(digits)) return undefined;
  const revision = Number(digits);
  return revisionVersion(base, revision) === version ? revision : undefined;
}

export interface NextVersion {
  version: string;
  revision: number;
  /** True when the registry will rank it above every version the name has (so it becomes latest at once). */
  ranksFirst: boolean;
}

/**
 * The version for the next publish of a name whose every version so far (deleted ones too)
 * is `history`. Throws when the result would exceed the registry's 255 characters.
 */
export function nextVersion(base: string, history: readonly VersionAt[]): NextVersion {
  let highest = -1;
  for (const { version } of history) {
    const revision = revisionOf(base, version);
    if (revision !== undefined && revision > highest) highest = revision;
  }
  const used = new Set(history.map((entry) => entry.version));
  let revision = highest + 1;
  while (used.has(revisionVersion(base, revision))) revision++; // cannot happen for our own revisions; belt and braces
  const version = revisionVersion(base, revision);
  if (version.length > MAX_VERSION_LENGTH) {
    throw new RangeError(`version ${version.slice(0, 64)}... for base ${base} would exceed the registry's ${MAX_VERSION_LENGTH} characters`);
  }
  const candidate = { version };
  const ranksFirst = history.every((other) => compareRegistryVersions(candidate, other) > 0);
  return { version, revision, ranksFirst };
}
