// "did you mean registry-tier?" for unknown `registry-*` keys: the closest known key by
// edit distance, offered only when it is plausibly a typo.

import { SHORT_KEYS } from './keys.ts';

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length]!;
}

export function closestKnownKey(unknownShortKey: string): string | undefined {
  const candidate = unknownShortKey.toLowerCase().slice(0, 64);
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const known of SHORT_KEYS) {
    const distance = editDistance(candidate, known);
    if (distance < bestDistance) {
      best = known;
      bestDistance = distance;
    }
  }
  // Beyond about a third of the word it is no longer a typo but a different word.
  return best !== undefined && bestDistance <= Math.max(2, Math.ceil(best.length / 3)) ? best : undefined;
}
