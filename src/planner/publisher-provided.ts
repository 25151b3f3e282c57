// The entry's publisher-provided metadata and the official registry's 4096-byte limit on
// it (discovery.md section 7): over the limit, tool_definitions and then tools are left
// out with a warning; still over, the entry cannot be published.

import type { OwnershipRecord } from './ownership.ts';
import { OWNERSHIP_KEY, TOOLHIVE_PUBLISHER_KEY, type PublisherProvided } from './server-entry.ts';
import type { ToolHiveServerExtensions } from './toolhive-extension.ts';

export const MAX_PUBLISHER_PROVIDED_BYTES = 4096;

/**
 * The size the registry measures: Go's json.Marshal, which escapes `<`, `>`, `&`, U+2028 and
 * U+2029 as six-byte `\uXXXX` sequences where JSON.stringify writes them as they are.
 */
// Printable ASCII that JSON and Go's encoder write as is: no `"`, `\\`, `<`, `>` or `&`.
const PLAIN_TEXT = /^[\x20\x21\x23-\x25\x27-\x3b\x3d\x3f-\x5b\x5d-\x7e]*$/;
const GO_ESCAPED = /[<>&\u2028\u2029]/g;

function stringBytes(text: string): number {
  if (PLAIN_TEXT.test(text)) return text.length + 2;
  const json = JSON.stringify(text);
  let extra = 0;
  // `<`, `>`, `&` grow from 1 to 6 bytes, U+2028 and U+2029 from 3 to 6.
  for (const [char] of json.matchAll(GO_ESCAPED)) extra += char.charCodeAt(0) < 0x80 ? 5 : 3;
  return Buffer.byteLength(json, 'utf8') + extra;
}

/**
 * The size the registry measures: Go's json.Marshal, which escapes `<`, `>`, `&`, U+2028 and
 * U+2029 as six-byte `\uXXXX` sequences where JSON.stringify writes them as they are.
 * Walks the value instead of serializing it: this runs for every entry of every plan.
 */
export function marshaledJsonBytes(value: unknown): number {
  if (typeof value === 'string') return stringBytes(value);
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value).length;
  if (Array.isArray(value)) {
    let bytes = 2 + Math.max(0, value.length - 1);
    for (const item of value) bytes += item === undefined || typeof item === 'function' ? 4 : marshaledJsonBytes(item);
    return bytes;
  }
  if (typeof value === 'object') {
    let bytes = 2;
    let members = 0;
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      const member = (value as Record<string, unknown>)[key];
      if (member === undefined || typeof member === 'function') continue;
      bytes += (members++ > 0 ? 1 : 0) + stringBytes(key) + 1 + marshaledJsonBytes(member);
    }
    return bytes;
  }
  return 0; // undefined and functions are not serialized
}

export type PublisherProvidedResult =
  | { value: PublisherProvided; bytes: number; warnings: string[] }
  | { problem: string; warnings: string[] };

type ExtensionsByUrl = Record<string, ToolHiveServerExtensions>;

function assemble(extensions: ExtensionsByUrl, ownership: OwnershipRecord): PublisherProvided {
  return { [TOOLHIVE_PUBLISHER_KEY]: extensions, [OWNERSHIP_KEY]: ownership };
}

function without(extensions: ExtensionsByUrl, field: 'tool_definitions' | 'tools'): ExtensionsByUrl {
  const result = Object.create(null) as ExtensionsByUrl;
  for (const [url, extension] of Object.entries(extensions)) {
    const { [field]: _dropped, ...rest } = extension;
    result[url] = rest as ToolHiveServerExtensions;
  }
  return result;
}

function has(extensions: ExtensionsByUrl, field: 'tool_definitions' | 'tools'): boolean {
  return Object.values(extensions).some((extension) => extension[field] !== undefined);
}

/** `extensions` by remote URL; the ownership record is never cut. */
export function fitPublisherProvided(extensions: ExtensionsByUrl, ownership: OwnershipRecord): PublisherProvidedResult {
  const warnings: string[] = [];
  let current = extensions;
  let value = assemble(current, ownership);
  let bytes = marshaledJsonBytes(value);
  for (const field of ['tool_definitions', 'tools'] as const) {
    if (bytes <= MAX_PUBLISHER_PROVIDED_BYTES) break;
    if (!has(current, field)) continue;
    const before = bytes;
    current = without(current, field);
    value = assemble(current, ownership);
    bytes = marshaledJsonBytes(value);
    warnings.push(`publisher-provided metadata is ${before} bytes, over the registry's limit of ${MAX_PUBLISHER_PROVIDED_BYTES}; ${field} left out`);
  }
  if (bytes > MAX_PUBLISHER_PROVIDED_BYTES) {
    return { problem: `publisher-provided metadata is ${bytes} bytes even without tools, over the registry's limit of ${MAX_PUBLISHER_PROVIDED_BYTES}`, warnings };
  }
  return { value, bytes, warnings };
}
