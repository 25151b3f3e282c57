// metav1.LabelSelector semantics (matchLabels AND matchExpressions), for
// allowedRoutes.namespaces.selector.

import type { LabelSelector } from '../kubernetes/objects.ts';

export function selectorMatches(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return false; // from: Selector without a selector admits nothing
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const expression of selector.matchExpressions ?? []) {
    const key = expression.key ?? '';
    const has = Object.hasOwn(labels, key);
    const values = expression.values ?? [];
    switch (expression.operator) {
      case 'In':
        if (!has || !values.includes(labels[key]!)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(labels[key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false; // an unknown operator selects nothing, as the API server would refuse it
    }
  }
  return true;
}
