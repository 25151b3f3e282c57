// fast-check arbitraries for custom resources, built from the openAPIV3Schema of their
// official CRDs (shared/reference): every type, enum, pattern, length, item count and
// required list of the schema is honoured, so what comes out is what an API server with
// those CRDs could store (CEL rules and anyOf/oneOf constraints aside: the planner must
// cope with their violations too, manifests do not pass them). Optional fields appear with
// a probability that falls with depth, so the huge schemas stay small objects; strings are
// drawn partly from a vocabulary, so names refer to each other and routes attach.

import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parseAllDocuments } from 'yaml';

export interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: Schema | boolean;
  enum?: unknown[];
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minimum?: number;
  maximum?: number;
  nullable?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

export interface CrdVersion {
  group: string;
  kind: string;
  version: string;
  storage: boolean;
  schema: Schema;
}

/** Every served version of every CRD in the files. */
export function loadCrds(files: readonly string[]): CrdVersion[] {
  const versions: CrdVersion[] = [];
  for (const file of files) {
    for (const document of parseAllDocuments(readFileSync(file, 'utf8'))) {
      const crd = document.toJS() as { kind?: string; spec?: { group: string; names: { kind: string }; versions: { name: string; served: boolean; storage: boolean; schema: { openAPIV3Schema: Schema } }[] } };
      if (crd?.kind !== 'CustomResourceDefinition' || !crd.spec) continue;
      for (const version of crd.spec.versions) {
        if (!version.served) continue;
        versions.push({ group: crd.spec.group, kind: crd.spec.names.kind, version: version.name, storage: version.storage, schema: version.schema.openAPIV3Schema });
      }
    }
  }
  return versions;
}

export interface Vocabulary {
  strings: readonly string[];
  integers: readonly number[];
}

export interface ShapeOptions {
  vocabulary: Vocabulary;
  /** Strings for the property at this path (e.g. `spec.rules.backendRefs.name`), tried before the vocabulary. */
  fieldVocabulary?: (path: string) => readonly string[] | undefined;
  /** Probability of an optional property at depth 0; halves every `halfDepth` levels. */
  optionalAt0: number;
  halfDepth: number;
  /** Optional properties that appear with this probability at any depth, by `parent.property` or `property`. */
  favoured?: Readonly<Record<string, number>>;
  /** Arrays under these property names hold at least one item (routing needs one). */
  nonEmpty?: ReadonlySet<string>;
  /** Past this depth only required properties are generated. */
  maxDepth: number;
  maxItems: number;
}

function compiledPattern(pattern: string): RegExp | undefined {
  try {
    return new RegExp(pattern, 'u');
  } catch {
    return undefined;
  }
}

function stringArbitrary(schema: Schema, options: ShapeOptions, path = ''): fc.Arbitrary<string> {
  const minLength = schema.minLength ?? 0;
  const maxLength = schema.maxLength ?? 64;
  const fits = (value: string) => value.length >= minLength && value.length <= maxLength;
  if (schema.format === 'date-time') return fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z'));
  const pattern = schema.pattern === undefined ? undefined : compiledPattern(schema.pattern);
  const specific = options.fieldVocabulary?.(path);
  const vocabulary = (specific ?? options.vocabulary.strings).filter((value) => fits(value) && (pattern === undefined || pattern.test(value)));
  const free = pattern
    ? fc.stringMatching(pattern).filter(fits)
    : fc.string({ minLength, maxLength: Math.min(maxLength, Math.max(minLength, 24)) });
  if (vocabulary.length === 0) return free;
  return fc.oneof({ weight: specific ? 12 : 3, arbitrary: fc.constantFrom(...vocabulary) }, { weight: 1, arbitrary: free });
}

function integerArbitrary(schema: Schema, options: ShapeOptions): fc.Arbitrary<number> {
  const min = schema.minimum ?? -5;
  const max = schema.maximum ?? 100_000;
  const known = options.vocabulary.integers.filter((value) => value >= min && value <= max);
  const free = fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(max, 2 ** 31 - 1) });
  return known.length === 0 ? free : fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...known) }, { weight: 1, arbitrary: free });
}

/** An arbitrary for values of `schema` at `path` (property names, arrays' items under the array's). */
export function valueOf(schema: Schema, options: ShapeOptions, depth = 0, path = ''): fc.Arbitrary<unknown> {
  const base = valueWithoutNull(schema, options, depth, path);
  return schema.nullable ? fc.oneof({ weight: 9, arbitrary: base }, { weight: 1, arbitrary: fc.constant(null) }) : base;
}

function valueWithoutNull(schema: Schema, options: ShapeOptions, depth: number, path: string): fc.Arbitrary<unknown> {
  if (schema.enum && schema.enum.length > 0) return fc.constantFrom(...schema.enum);
  if (schema['x-kubernetes-int-or-string']) return fc.oneof(integerArbitrary({ minimum: 0, maximum: 65_535, ...schema }, options), stringArbitrary(schema, options, path));
  switch (schema.type) {
    case 'string':
      return stringArbitrary(schema, options, path);
    case 'integer':
      return integerArbitrary(schema, options);
    case 'number':
      return fc.oneof(integerArbitrary(schema, options), fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true, noDefaultInfinity: true }));
    case 'boolean':
      return fc.boolean();
    case 'array': {
      const minItems = Math.max(schema.minItems ?? 0, options.nonEmpty?.has(path.split('.').at(-1) ?? '') && (schema.maxItems ?? 1) >= 1 ? 1 : 0);
      const maxItems = Math.max(minItems, Math.min(schema.maxItems ?? options.maxItems, depth >= options.maxDepth ? minItems : options.maxItems));
      // Items take the array's path: `spec.hostnames` holds hostnames.
      return fc.array(schema.items ? valueOf(schema.items, options, depth + 1, path) : fc.jsonValue({ maxDepth: 1 }), { minLength: minItems, maxLength: maxItems });
    }
    case 'object':
    case undefined:
      return objectOf(schema, options, depth, path);
    default:
      return fc.constant(null);
  }
}

function objectOf(schema: Schema, options: ShapeOptions, depth: number, path: string): fc.Arbitrary<unknown> {
  const properties = Object.entries(schema.properties ?? {});
  if (properties.length === 0) {
    if (typeof schema.additionalProperties === 'object') {
      return fc.dictionary(stringArbitrary({ maxLength: 20 }, options, `${path}.*key`), valueOf(schema.additionalProperties, options, depth + 1, `${path}.*`), { maxKeys: depth >= options.maxDepth ? 0 : 2 });
    }
    // x-kubernetes-preserve-unknown-fields, or an object without a schema: anything small.
    return depth >= options.maxDepth ? fc.constant({}) : fc.dictionary(fc.constantFrom('a', 'b', 'name'), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 });
  }
  const required = new Set(schema.required ?? []);
  const chance = depth >= options.maxDepth ? 0 : options.optionalAt0 / 2 ** (depth / options.halfDepth);
  const fields = properties.map(([name, property]) => {
    const value = valueOf(property, options, depth + 1, path ? `${path}.${name}` : name);
    if (required.has(name)) return value.map((v) => [name, v] as const);
    // Include the optional field with probability `chance` (weights out of 1000).
    const parent = path.split('.').at(-1) ?? '';
    const favoured = options.favoured?.[`${parent}.${name}`] ?? options.favoured?.[name];
    const weight = Math.round((depth >= options.maxDepth ? 0 : (favoured ?? chance)) * 1000);
    if (weight <= 0) return fc.constant(undefined);
    return fc.oneof({ weight, arbitrary: value.map((v) => [name, v] as const) }, { weight: 1000 - weight, arbitrary: fc.constant(undefined) });
  });
  return fc.tuple(...fields).map((pairs) => Object.fromEntries(pairs.filter((pair): pair is readonly [string, unknown] => pair !== undefined)));
}

/** A custom resource of one CRD version: its spec (and sometimes status) from the schema. */
export function customResource(crd: CrdVersion, metadata: fc.Arbitrary<Record<string, unknown>>, options: ShapeOptions): fc.Arbitrary<Record<string, unknown>> {
  const properties = crd.schema.properties ?? {};
  const spec = properties['spec'] ? valueOf(properties['spec'], options, 1, 'spec') : fc.constant(undefined);
  const status = properties['status'] ? fc.option(valueOf(properties['status'], options, 1, 'status'), { freq: 3 }) : fc.constant(null);
  return fc.tuple(metadata, spec, status).map(([meta, specValue, statusValue]) => ({
    apiVersion: `${crd.group}/${crd.version}`,
    kind: crd.kind,
    metadata: meta,
    ...(specValue === undefined ? {} : { spec: specValue }),
    ...(statusValue === null || statusValue === undefined ? {} : { status: statusValue }),
  }));
}
