// What counts as a change of an entry's content: everything in the server.json except the
// version (which the publisher chooses, version-scheme.ts) and the parts of the ownership
// record that say who wrote it (owner, installation, digest): taking an entry over
// (`--adopt-owner`) or giving an old record its installation must not spend a version,
// they are written at the entry's next real change (publishing.md §3). Keys are compared
// sorted: the registry stores documents as PostgreSQL jsonb, which does not keep key order.
//
// The digest is the memory of what the publisher sent (publishing.md §5): it travels in
// the ownership record, so a registry that drops or normalizes a field is recognised even
// after a restart, and its copy is never a reason to publish again.

import { createHash } from 'node:crypto';
import { OWNERSHIP_KEY, PUBLISHER_PROVIDED_KEY } from '../planner/server-entry.ts';
import { recordOf } from '../planner/ownership.ts';

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).filter((key) => (value as Record<string, unknown>)[key] !== undefined).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The content of a server.json document, version left out, as one comparable string. */
export function contentKey(server: { version?: unknown }): string {
  const { version: _version, ...rest } = server;
  return canonicalJson(rest);
}

/** The fields of the ownership record that name the writer, not the content. */
const WRITER_FIELDS = ['owner', 'installation', 'digest'] as const;

/** The document without the version and without the record's writer fields. */
function comparable(server: { version?: unknown; _meta?: Record<string, unknown> }): Record<string, unknown> {
  const { version: _version, ...rest } = server;
  const record = recordOf(server);
  if (!record) return rest;
  const provided = server._meta?.[PUBLISHER_PROVIDED_KEY] as Record<string, unknown>;
  const stripped: Record<string, unknown> = { ...record };
  for (const field of WRITER_FIELDS) delete stripped[field];
  return { ...rest, _meta: { ...server._meta, [PUBLISHER_PROVIDED_KEY]: { ...provided, [OWNERSHIP_KEY]: stripped } } };
}

/** The content that decides whether a name needs a new version (see the header). */
export function comparableKey(server: { version?: unknown; _meta?: Record<string, unknown> }): string {
  return canonicalJson(comparable(server));
}

/** SHA-256 (hex, 16 characters) of comparableKey: what the ownership record's `digest` holds. */
export function contentDigest(server: { version?: unknown; _meta?: Record<string, unknown> }): string {
  return createHash('sha256').update(comparableKey(server)).digest('hex').slice(0, 16);
}

/** The digest a registry document's record carries, if any. */
export function recordedDigest(server: { _meta?: Record<string, unknown> }): string | undefined {
  const digest = recordOf(server)?.digest;
  return typeof digest === 'string' ? digest : undefined;
}

/** The top-level fields whose content differs (for a one-line reason), `_meta` included. */
export function changedFields(planned: Record<string, unknown>, current: Record<string, unknown>): string[] {
  const a = comparable(planned);
  const b = comparable(current);
  const fields = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...fields].filter((field) => canonicalJson(a[field]) !== canonicalJson(b[field])).sort();
}
