// How the upstream registry orders the versions of one name, to decide which one
// `GET /v0.1/servers/{name}/versions/latest` returns (its internal/service/versioning.go):
// a version is semver when golang.org/x/mod/semver accepts it (with an optional `v`) AND
// it has exactly three numeric parts; two semvers compare by semver precedence (build
// metadata ignored, `1.0.0-x` before `1.0.0`); two non-semvers by publish time; a semver
// always beats a non-semver.

export interface ParsedSemver {
  /** `v` or '' as written. */
  prefix: string;
  major: string;
  minor: string;
  patch: string;
  /** Dot-separated prerelease identifiers; [] for a release. */
  prerelease: string[];
}

const NUMBER = '(0|[1-9][0-9]*)';
const IDENTIFIER = '[0-9A-Za-z-]+';
const SEMVER = new RegExp(`^(v?)${NUMBER}\\.${NUMBER}\\.${NUMBER}(?:-(${IDENTIFIER}(?:\\.${IDENTIFIER})*))?(?:\\+${IDENTIFIER}(?:\\.${IDENTIFIER})*)?$`);
const NUMERIC = /^[0-9]+$/;

/** The version as the registry's semver check reads it, or undefined when it is not semver there. */
export function parseRegistrySemver(version: string): ParsedSemver | undefined {
  const match = SEMVER.exec(version);
  if (!match) return undefined;
  const prerelease = match[5] === undefined ? [] : match[5].split('.');
  // x/mod/semver refuses numeric prerelease identifiers with leading zeros.
  if (prerelease.some((id) => NUMERIC.test(id) && id.length > 1 && id.startsWith('0'))) return undefined;
  return { prefix: match[1]!, major: match[2]!, minor: match[3]!, patch: match[4]!, prerelease };
}

/** Numeric strings of any length (no leading zeros), as x/mod/semver compares them. */
function compareNumbers(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareIdentifiers(a: string, b: string): number {
  const numericA = NUMERIC.test(a);
  const numericB = NUMERIC.test(b);
  if (numericA && numericB) return compareNumbers(a, b);
  if (numericA !== numericB) return numericA ? -1 : 1; // numeric identifiers rank lower
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareSemver(a: ParsedSemver, b: ParsedSemver): number {
  const core = compareNumbers(a.major, b.major) || compareNumbers(a.minor, b.minor) || compareNumbers(a.patch, b.patch);
  if (core !== 0) return core;
  if (a.prerelease.length === 0 || b.prerelease.length === 0) {
    // A release ranks above its prereleases.
    return a.prerelease.length === b.prerelease.length ? 0 : a.prerelease.length === 0 ? 1 : -1;
  }
  const shared = Math.min(a.prerelease.length, b.prerelease.length);
  for (let i = 0; i < shared; i++) {
    const order = compareIdentifiers(a.prerelease[i]!, b.prerelease[i]!);
    if (order !== 0) return order;
  }
  return Math.sign(a.prerelease.length - b.prerelease.length);
}

export interface VersionAt {
  version: string;
  /** RFC 3339 publish time; a version not published yet is the newest. */
  publishedAt?: string;
}

function publishTime(version: VersionAt): number {
  return version.publishedAt === undefined ? Number.POSITIVE_INFINITY : Date.parse(version.publishedAt);
}

/** The registry's CompareVersions: negative when `a` ranks below `b`, 0 when equal, positive above. */
export function compareRegistryVersions(a: VersionAt, b: VersionAt): number {
  const semverA = parseRegistrySemver(a.version);
  const semverB = parseRegistrySemver(b.version);
  if (semverA && semverB) return compareSemver(semverA, semverB);
  if (semverA) return 1;
  if (semverB) return -1;
  return Math.sign(publishTime(a) - publishTime(b));
}
