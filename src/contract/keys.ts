// The registry annotation keys of the contract (annotations.md, "Keys"): which objects
// each may sit on. The value rules live in value-rules.ts.

export const ANNOTATION_PREFIX = 'toolhive.stacklok.dev/';
export const REGISTRY_KEY_PREFIX = `${ANNOTATION_PREFIX}registry-`;

/** Which objects a key may sit on. */
export type KeyScope = 'route' | 'mcp' | 'both';

export const KEY_SCOPES = {
  'registry-export': 'both',
  'registry-url': 'mcp',
  'registry-name': 'both',
  'registry-description': 'both',
  'registry-title': 'both',
  'registry-tier': 'both',
  'registry-tools': 'both',
  'registry-tags': 'both',
  'registry-category': 'both',
  'registry-icon': 'both',
  'registry-version': 'both',
  'registry-transport': 'route',
  tools: 'mcp',
  'tool-definitions': 'mcp',
  'authz-claims': 'mcp',
} as const satisfies Record<string, KeyScope>;

export type ShortKey = keyof typeof KEY_SCOPES;

export const SHORT_KEYS = Object.keys(KEY_SCOPES) as ShortKey[];

/** Keys outside the `registry-` family that still make an object registry-annotated. */
const OTHER_CONTRACT_KEYS: ReadonlySet<string> = new Set(['tools', 'tool-definitions', 'authz-claims']);

// Built once: a key concatenated per call is a new string that every property look-up
// must flatten and hash again (measurable on the webhook's hot path).
const FULL_KEYS = Object.fromEntries(SHORT_KEYS.map((key) => [key, ANNOTATION_PREFIX + key])) as Record<ShortKey, string>;
const SHORT_KEY_OF = new Map<string, ShortKey>(SHORT_KEYS.map((key) => [FULL_KEYS[key], key]));

export function fullKey(key: ShortKey): string {
  return FULL_KEYS[key];
}

/** The short key of a known contract annotation key (`toolhive.stacklok.dev/registry-tier` → `registry-tier`), else undefined. */
export function knownShortKeyOf(annotationKey: string): ShortKey | undefined {
  return SHORT_KEY_OF.get(annotationKey);
}

/** Is this annotation key part of the contract's namespace (known or a `registry-` typo)? */
export function isContractKey(annotationKey: string): boolean {
  if (annotationKey.startsWith(REGISTRY_KEY_PREFIX)) return true;
  return annotationKey.startsWith(ANNOTATION_PREFIX) && OTHER_CONTRACT_KEYS.has(annotationKey.slice(ANNOTATION_PREFIX.length));
}

export function isRegistryAnnotated(annotations: Record<string, string> | undefined): boolean {
  return Object.keys(annotations ?? {}).some(isContractKey);
}
