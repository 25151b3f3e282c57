// The one-line messages of the contract: object, annotation, offending value (cut to 64
// characters) and rule, e.g.
// HTTPRoute mcp/github: annotation toolhive.stacklok.dev/registry-tier: "Gold" is not one of Official, Community, Partner

import { describeObject, printableText, type KubeObject } from '../kubernetes/objects.ts';
import type { Finding } from './types.ts';

const VALUE_LIMIT = 64;
const KEY_LIMIT = 128;

/** The value as shown in messages: cut, then JSON-quoted so it stays on one line. */
export function quoteValue(value: string): string {
  const chars = [...value];
  // JSON.stringify leaves U+0085, U+2028 and U+2029 as they are; they break lines too.
  return printableText(JSON.stringify(chars.length > VALUE_LIMIT ? `${chars.slice(0, VALUE_LIMIT).join('')}…` : value));
}

/** An annotation key as shown in messages: as written, on one line, cut when absurdly long. */
export function displayKey(key: string): string {
  const chars = [...key];
  return printableText(chars.length > KEY_LIMIT ? `${chars.slice(0, KEY_LIMIT).join('')}…` : key);
}

export function annotationFinding(
  object: KubeObject,
  defaultNamespace: string,
  key: string,
  value: string,
  rule: string,
): Finding {
  // Rules quote parts of the value too (list items, expanded names).
  return { annotation: key, message: `${describeObject(object, defaultNamespace)}: annotation ${displayKey(key)}: ${quoteValue(value)} ${printableText(rule)}` };
}

export function objectFinding(object: KubeObject, defaultNamespace: string, annotation: string | null, text: string): Finding {
  // The text names other objects and refs, which manifests can spell with any character.
  return { annotation, message: `${describeObject(object, defaultNamespace)}: ${printableText(text)}` };
}
