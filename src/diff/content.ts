// What counts as a change of an entry's content: everything in the server.json except the
// version (which the publisher chooses, version-scheme.ts). Keys are compared sorted: the
// registry stores documents as PostgreSQL jsonb, which does not keep key order.

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

/** The top-level fields whose content differs (for a one-line reason), `_meta` included. */
export function changedFields(planned: Record<string, unknown>, current: Record<string, unknown>): string[] {
  const fields = new Set([...Object.keys(planned), ...Object.keys(current)]);
  fields.delete('version');
  return [...fields].filter((field) => canonicalJson(planned[field]) !== canonicalJson(current[field])).sort();
}
