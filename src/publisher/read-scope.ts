// Which registry names the publisher reads for its diff: only the names this owner can
// hold, never the whole of a public registry. Pure.
//
//   - the fixed part of the name prefix template before `{namespace}`
//     (`com.toolhive.k8s.` for the default `com.toolhive.k8s.{namespace}`);
//   - the prefixes the registry token may publish under (`io.example/*` -> `io.example/`,
//     `com.example.*` -> `com.example.`), so an entry with an explicit `registry-name`
//     whose objects were deleted while the publisher was down is still found;
//   - every planned name that none of those prefixes covers, read one by one.
// The registry's name search needs at least 3 characters; shorter prefixes (and `*`) are
// not listed, and their names are read one by one when planned.

export const MIN_PREFIX_LENGTH = 3;

export interface ReadScope {
  /** Name prefixes to list (each paged, deleted versions included). */
  prefixes: string[];
  /** Names outside those prefixes, read one by one. */
  names: string[];
}

/** The literal start of a name prefix template (everything before its first `{`). */
export function templatePrefix(template: string): string {
  const brace = template.indexOf('{');
  const fixed = brace < 0 ? `${template}/` : template.slice(0, brace);
  return fixed;
}

export function patternPrefix(pattern: string): string | undefined {
  return pattern.endsWith('*') ? pattern.slice(0, -1) : undefined;
}

export function isCovered(name: string, prefixes: readonly string[]): boolean {
  return prefixes.some((prefix) => name.startsWith(prefix));
}

export function readScope(template: string, publishPatterns: readonly string[] | undefined, plannedNames: Iterable<string>): ReadScope {
  const candidates = [templatePrefix(template), ...(publishPatterns ?? []).map(patternPrefix)].filter(
    (prefix): prefix is string => prefix !== undefined && prefix.trim().length >= MIN_PREFIX_LENGTH,
  );
  // A prefix inside another one adds nothing.
  const prefixes = [...new Set(candidates)].filter((prefix, _i, all) => !all.some((other) => other !== prefix && prefix.startsWith(other))).sort();
  const names = [...new Set(plannedNames)].filter((name) => !isCovered(name, prefixes)).sort();
  return { prefixes, names };
}
