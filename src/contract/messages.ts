// The one-line messages of the contract: object, annotation, offending value (cut to 64
// characters) and rule, e.g.
// HTTPRoute mcp/github: annotation toolhive.stacklok.dev/registry-tier: "Gold" is not one of Official, Community, Partner

import { describeObject, type KubeObject } from '../kubernetes/objects.ts';
import type { Finding } from './types.ts';

const VALUE_LIMIT = 64;

/** The value as shown in messages: cut, then JSON-quoted so it stays on one line. */
export function quoteValue(value: string): string {
  const chars = [...value];
  return JSON.stringify(chars.length > VALUE_LIMIT ? `${chars.slice(0, VALUE_LIMIT).join('')}…` : value);
}

export function annotationFinding(
  object: KubeObject,
  defaultNamespace: string,
  key: string,
  value: string,
  rule: string,
): Finding {
  return { annotation: key, message: `${describeObject(object, defaultNamespace)}: annotation ${key}: ${quoteValue(value)} ${rule}` };
}

export function objectFinding(object: KubeObject, defaultNamespace: string, annotation: string | null, text: string): Finding {
  return { annotation, message: `${describeObject(object, defaultNamespace)}: ${text}` };
}
