// Typed values of an object's registry annotations, for the planner and the publisher.
// Read from annotations that judge.ts has normalized; a value that breaks its rule reads
// as absent (the planner skips such objects before it gets here anyway).

import { fullKey, type ShortKey } from './keys.ts';
import { judgeValue, splitList, TIERS, TRANSPORTS, VALUE_RULES } from './value-rules.ts';

export interface RegistryAnnotations {
  export?: boolean;
  url?: string;
  name?: string;
  description?: string;
  title?: string;
  tier?: (typeof TIERS)[number];
  tools?: string[];
  tags?: string[];
  category?: string;
  icon?: string;
  version?: string;
  transport?: (typeof TRANSPORTS)[number];
  /** The `tools` JSON annotation. */
  toolsJson?: string[];
  toolDefinitions?: Record<string, unknown>[];
  authzClaims?: Record<string, string | string[]>;
}

// Rule context for reading: registry-name is read as written (expansion happens when the
// entry is built), so the name check here only needs a neutral namespace.
const READ_CONTEXT = { owningNamespace: 'default', namePrefix: 'com.toolhive.k8s.{namespace}' };

// Objects from caches and one judgement's annotation map are read many times (per check,
// per route reaching a resource); the map is never mutated, so the reading is kept with it.
const readings = new WeakMap<Record<string, string>, RegistryAnnotations>();
const EMPTY: RegistryAnnotations = Object.freeze({});

export function readRegistryAnnotations(annotations: Record<string, string> | undefined): RegistryAnnotations {
  // Unjudged objects (other objects of a manifest, a raw review) may hold anything here.
  if (typeof annotations !== 'object' || annotations === null) return EMPTY;
  let reading = readings.get(annotations);
  if (!reading) {
    reading = deepFreeze(read(annotations));
    readings.set(annotations, reading);
  }
  return reading;
}

// Shared readings must not be changed by one caller under another's feet.
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function validValue(source: Record<string, string>, key: ShortKey): string | undefined {
  const raw: unknown = Object.hasOwn(source, fullKey(key)) ? source[fullKey(key)] : undefined;
  if (typeof raw !== 'string') return undefined;
  const { normalized, outcome } = judgeValue(key, raw, READ_CONTEXT);
  return outcome.errors.length === 0 ? normalized : undefined;
}

/**
 * One text value exactly as readRegistryAnnotations reads it, without reading the others:
 * the webhook's checks need only the name and the description of a map it sees once.
 */
export function readRegistryText(annotations: Record<string, string> | undefined, field: 'name' | 'description'): string | undefined {
  if (typeof annotations !== 'object' || annotations === null) return undefined;
  const reading = readings.get(annotations);
  if (reading) return reading[field];
  return validValue(annotations, field === 'name' ? 'registry-name' : 'registry-description');
}

function read(source: Record<string, string>): RegistryAnnotations {
  const valid = (key: ShortKey): string | undefined => validValue(source, key);
  const result: RegistryAnnotations = {};
  const exported = valid('registry-export');
  if (exported !== undefined) result.export = exported === 'true';
  const text: [keyof RegistryAnnotations, ShortKey][] = [
    ['url', 'registry-url'],
    ['name', 'registry-name'],
    ['description', 'registry-description'],
    ['title', 'registry-title'],
    ['category', 'registry-category'],
    ['icon', 'registry-icon'],
    ['version', 'registry-version'],
  ];
  for (const [field, key] of text) {
    const value = valid(key);
    if (value !== undefined) (result as Record<string, unknown>)[field] = value;
  }
  const tier = valid('registry-tier');
  if (tier !== undefined) result.tier = tier as RegistryAnnotations['tier'];
  const transport = valid('registry-transport');
  if (transport !== undefined) result.transport = transport as RegistryAnnotations['transport'];
  const tools = valid('registry-tools');
  if (tools !== undefined) result.tools = splitList(tools);
  const tags = valid('registry-tags');
  if (tags !== undefined) result.tags = splitList(tags);
  const toolsJson = valid('tools');
  if (toolsJson !== undefined) result.toolsJson = JSON.parse(toolsJson) as string[];
  const toolDefinitions = valid('tool-definitions');
  if (toolDefinitions !== undefined) result.toolDefinitions = JSON.parse(toolDefinitions) as Record<string, unknown>[];
  const authzClaims = valid('authz-claims');
  if (authzClaims !== undefined) result.authzClaims = JSON.parse(authzClaims) as Record<string, string | string[]>;
  return result;
}

/** Is the object exported (`registry-export: "true"` after normalization)? */
export function isExported(annotations: Record<string, string> | undefined): boolean {
  if (typeof annotations !== 'object' || annotations === null || !Object.hasOwn(annotations, fullKey('registry-export'))) return false;
  const raw: unknown = annotations[fullKey('registry-export')];
  return typeof raw === 'string' && VALUE_RULES['registry-export'].normalize(raw) === 'true';
}
