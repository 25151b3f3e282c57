// The mass-retire guard (publishing.md §2): a pass that would take away more than
// `maxFraction` of this installation's active names, when that is more than
// `MIN_NAMES`, takes away none of them. A cache that came up empty, a namespace selector
// that broke, or a wrong --name-prefix looks exactly like "everything was deleted";
// the operator confirms with --allow-mass-retire. Pure.

export const MASS_RETIRE_MIN_NAMES = 5;

export interface RetireGuardInput {
  /** Names the pass would retire. */
  retiring: number;
  /** Names of this installation with an active version. */
  active: number;
  maxFraction: number;
  allow: boolean;
}

/** One line on why the retires are refused, or undefined when they may go out. */
export function massRetireRefusal({ retiring, active, maxFraction, allow }: RetireGuardInput): string | undefined {
  if (allow || retiring <= MASS_RETIRE_MIN_NAMES || retiring <= maxFraction * active) return undefined;
  return `refusing to retire ${retiring} of ${active} active names (more than ${Math.round(maxFraction * 100)} %): restart with --allow-mass-retire if this is intended`;
}
