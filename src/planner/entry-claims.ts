// An entry's claims for the ToolHive registry server: who may see and change the name
// there (toolhive-registry-server docs/authentication.md; research toolhive.md §4.1, §4.2).
// They come from the MCP resource's `toolhive.stacklok.dev/authz-claims` annotation and are
// not part of the server.json (discovery.md §7): whoever builds the entry attaches them
// with `withEntryClaims`, under a symbol, so JSON.stringify, the diff's content key and the
// upstream client never see them while object spreads (`{ ...entry, version }`) keep them.
// The client sends them beside the server.json, as `POST /v1/entries {server, claims}` wants.

/** Claim values are a string or an array of strings (the server's ValidateClaimValues). */
export type EntryClaims = Record<string, string | string[]>;

export const ENTRY_CLAIMS: unique symbol = Symbol.for('mcp-registry-export.entry-claims');

type WithClaims = { [ENTRY_CLAIMS]?: EntryClaims };

/** The entry with its claims attached (the same object; undefined or {} removes them). */
export function withEntryClaims<T extends object>(entry: T, claims: EntryClaims | undefined): T {
  const holder = entry as T & WithClaims;
  if (claims === undefined || Object.keys(claims).length === 0) delete holder[ENTRY_CLAIMS];
  else holder[ENTRY_CLAIMS] = claims;
  return entry;
}

/** The claims attached to an entry, if any. */
export function entryClaims(entry: object): EntryClaims | undefined {
  return (entry as WithClaims)[ENTRY_CLAIMS];
}

/** Why the server would refuse these claims, or undefined when it would take them. */
export function claimsProblem(claims: unknown): string | undefined {
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) return 'claims must be a JSON object';
  for (const [key, value] of Object.entries(claims)) {
    if (typeof value === 'string') continue;
    if (Array.isArray(value) && value.every((item) => typeof item === 'string')) continue;
    return `claim ${JSON.stringify(key)} must be a string or an array of strings`;
  }
  return undefined;
}
