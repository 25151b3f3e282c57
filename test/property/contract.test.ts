// The annotation contract over any annotation map at all: any keys (contract keys, typos,
// `__proto__` and other Object.prototype names, any Unicode, lone surrogates), any values
// (any string of any length, and the non-strings a raw AdmissionReview or a manifest can
// carry), on every kind in scope. It never throws, every message is one line that names
// the object, and judging is deterministic. Seeded: a failure prints its seed and path.
// Each property takes a few seconds; the longer timeout is for a loaded machine.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateObjects } from '../../src/cli/validate-command.ts';
import { ObjectIndex } from '../../src/cluster/object-index.ts';
import { judgeAnnotations, judgeObject } from '../../src/contract/judge.ts';
import { SHORT_KEYS } from '../../src/contract/keys.ts';
import { buildExportIndex } from '../../src/contract/name-claims.ts';
import { isExported, readRegistryAnnotations } from '../../src/contract/registry-annotations.ts';
import { DEFAULT_CONTRACT_OPTIONS, type ContractOptions } from '../../src/contract/types.ts';
import { printableText, type KubeObject } from '../../src/kubernetes/objects.ts';

const SEED = 20_251_203;
const P = 'toolhive.stacklok.dev/';

// Any UTF-16 code unit, so lone surrogates and every control character occur.
const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit));
const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: anyCodeUnit, maxLength: 40 }),
  fc.constantFrom('', ' ', '\n', '\r\n', '\u2028', '\u0085', '\u0000', '\ufeff', '\ud800', 'é', '🙂'),
);
const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', 'isPrototypeOf'];

const key = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SHORT_KEYS).map((short) => P + short) },
  { weight: 2, arbitrary: anyText.map((tail) => `${P}registry-${tail}`) },
  { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_NAMES).map((name) => `${P}registry-${name}`) },
  { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_NAMES, ...PROTOTYPE_NAMES.map((name) => P + name)) },
  { weight: 1, arbitrary: anyText },
  { weight: 1, arbitrary: fc.string({ minLength: 200, maxLength: 2_000 }).map((tail) => `${P}registry-${tail}`) },
);

// What the rules expect, near misses, huge values, and anything at all.
const plausible = fc.constantFrom(
  'true', ' TRUE ', 'false', 'yes', 'Official', 'partner', 'Gold', '1.2.3', 'v1.0.0-rc.1', '1.x', 'latest', '^1.2.0',
  'https://mcp.example.com/mcp', 'http://localhost:8080/', 'ftp://x', 'https://u:p@x.example.com/#f', 'github', 'io.github.x/y',
  'a/b/c', 'a,,b, A ,b', '["a","a"]', '[{"name":"x"}]', '{"role":["a",1]}', '[]', '{}', 'null', 'streamable-http', 'sse',
);
const stringValue = fc.oneof(
  { weight: 3, arbitrary: plausible },
  { weight: 3, arbitrary: anyText },
  { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.tuple(anyText, fc.integer({ min: 90, max: 9_000 })).map(([unit, times]) => (unit || 'x').repeat(times)) },
  { weight: 1, arbitrary: fc.array(fc.constantFrom('a', 'B', ' ', ',', '-', '_', '.', '/', 'é', '\t'), { maxLength: 300 }).map((chars) => chars.join('')) },
);
// A raw AdmissionReview or a YAML manifest can put anything where a string belongs.
const nonStringValue = fc.oneof(
  fc.constantFrom(true, false, null, 0, 1.5, -1, Number.NaN, Number.POSITIVE_INFINITY),
  fc.constant({ toString: 1 }),
  fc.constant(Object.create(null) as object),
  fc.constant(Object.assign(Object.create(null) as object, { length: 3 })),
  fc.anything({ maxDepth: 2, withNullPrototype: true, withBigInt: true, withBoxedValues: true, withSparseArray: true }).filter((raw) => typeof raw !== 'string'),
);
const value = fc.oneof({ weight: 6, arbitrary: stringValue }, { weight: 1, arbitrary: nonStringValue });

// Built with Object.fromEntries, so `__proto__` is an own key as JSON.parse and yaml make it.
const annotationMap = fc
  .tuple(fc.array(fc.tuple(key, value), { maxLength: 10 }), fc.boolean(), fc.boolean())
  .map(([entries, exported, nullPrototype]) => {
    const map = Object.fromEntries(exported ? [[`${P}registry-export`, 'true'], ...entries] : entries) as Record<string, unknown>;
    return nullPrototype ? Object.assign(Object.create(null) as Record<string, unknown>, map) : map;
  });

const identity = fc.constantFrom(
  { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute' },
  { apiVersion: 'toolhive.stacklok.dev/v1alpha1', kind: 'MCPServer' },
  { apiVersion: 'toolhive.stacklok.dev/v1beta1', kind: 'MCPServer' },
  { apiVersion: 'toolhive.stacklok.dev/v1beta1', kind: 'MCPRemoteProxy' },
  { apiVersion: 'toolhive.stacklok.dev/v1beta1', kind: 'VirtualMCPServer' },
  { apiVersion: 'toolhive.stacklok.dev/v1beta1', kind: 'MCPServerEntry' },
  { apiVersion: 'toolhive.stacklok.dev/v1alpha1', kind: 'MCPServerEntry' },
);
const name = fc.oneof(fc.constantFrom('x', 'github', 'mcp-x-proxy', 'a'.repeat(253)), anyText.filter((text) => text !== ''));
const namespace = fc.oneof(fc.constantFrom('ns', 'other', undefined), anyText);
const spec = fc.oneof(
  fc.constant({ parentRefs: [{ name: 'gw' }], hostnames: ['x.example.com'], rules: [{ backendRefs: [{ name: 'mcp-x-proxy', port: 8080 }] }] }),
  fc.constant({ remoteUrl: 'https://remote.example.com/mcp', transport: 'streamable-http' }),
  fc.constant(undefined),
  fc.anything({ maxDepth: 3 }),
);

const object = fc.record({ identity, name, namespace, annotations: annotationMap, spec }).map(
  ({ identity: id, name: objectName, namespace: objectNamespace, annotations, spec: objectSpec }): KubeObject => ({
    ...id,
    metadata: { name: objectName, ...(objectNamespace === undefined ? {} : { namespace: objectNamespace }), annotations: annotations as Record<string, string> },
    spec: objectSpec,
  }),
);

const options = fc.record({
  namePrefix: fc.oneof(fc.constant(DEFAULT_CONTRACT_OPTIONS.namePrefix), fc.constantFrom('k8s.{namespace}', '{namespace}{namespace}', ''), anyText),
  referentialChecks: fc.constantFrom('deny' as const, 'warn' as const),
  defaultNamespace: fc.constantFrom('default', 'ns'),
});

const LINE_BREAK = /[\n\r\u000b\u000c\u0085\u2028\u2029]/;

// Names are shown with line breaks and other control characters escaped.
function describePrefix(input: KubeObject, contractOptions: ContractOptions): string {
  return `${input.kind} ${printableText(input.metadata?.namespace || contractOptions.defaultNamespace)}/${printableText(input.metadata?.name ?? '')}: `;
}

const gateway: KubeObject = {
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'Gateway',
  metadata: { name: 'gw', namespace: 'ns' },
  spec: { gatewayClassName: 'c', listeners: [{ name: 'h', protocol: 'HTTP', port: 80, allowedRoutes: { namespaces: { from: 'All' } } }] },
};

describe('the annotation contract, any annotation map', { timeout: 120_000 }, () => {
  it('never throws; every finding is one line that starts with the object', () => {
    fc.assert(
      fc.property(object, fc.array(object, { maxLength: 3 }), options, (input, others, contractOptions) => {
        const lookups = new ObjectIndex([input, ...others, gateway], contractOptions.defaultNamespace);
        const judgement = judgeObject(input, { lookups, options: contractOptions });
        const prefix = describePrefix(input, contractOptions);
        for (const finding of [...judgement.errors, ...judgement.warnings]) {
          expect(typeof finding.message).toBe('string');
          expect(finding.message).not.toMatch(LINE_BREAK);
          expect(finding.message.startsWith(prefix)).toBe(true);
        }
        for (const [normalizedKey, normalizedValue] of Object.entries(judgement.normalized)) {
          expect(typeof normalizedValue).toBe('string');
          expect(judgement.annotations[normalizedKey]).toBe(normalizedValue);
        }
        // Deterministic: the same object judged again says the same.
        expect(judgeObject(input, { lookups, options: contractOptions })).toEqual(judgement);
      }),
      { seed: SEED, numRuns: 3_000 },
    );
  });

  it('a value that is not a string is an error naming the annotation, never accepted', () => {
    fc.assert(
      fc.property(identity, fc.constantFrom(...SHORT_KEYS), nonStringValue, (id, short, raw) => {
        const input: KubeObject = { ...id, metadata: { name: 'x', namespace: 'ns', annotations: { [P + short]: raw } as unknown as Record<string, string> } };
        const judgement = judgeAnnotations(input, DEFAULT_CONTRACT_OPTIONS);
        expect(judgement.applies).toBe(true);
        expect(judgement.errors.map((error) => error.annotation)).toContain(P + short);
        expect(judgement.normalized).toEqual({});
      }),
      { seed: SEED, numRuns: 2_000 },
    );
  });

  it('what the planner and validate read from annotations never throws either', () => {
    fc.assert(
      fc.property(fc.array(object, { minLength: 1, maxLength: 6 }), options, (objects, contractOptions) => {
        for (const input of objects) {
          const annotations = input.metadata?.annotations;
          const reading = readRegistryAnnotations(annotations);
          for (const field of ['url', 'name', 'description', 'title', 'category', 'icon', 'version'] as const) {
            if (reading[field] !== undefined) expect(typeof reading[field]).toBe('string');
          }
          expect(typeof isExported(annotations)).toBe('boolean');
        }
        const lookups = new ObjectIndex(objects, contractOptions.defaultNamespace);
        buildExportIndex(lookups, contractOptions).claimsOf('com.toolhive.k8s.ns/x');
        const results = validateObjects(objects.map((input) => ({ object: input, source: 'x:1' })), contractOptions);
        for (const result of results) {
          for (const finding of [...result.errors, ...result.warnings]) expect(finding.message).not.toMatch(LINE_BREAK);
        }
      }),
      { seed: SEED, numRuns: 1_500 },
    );
  });

  it('normalizing what normalization produced changes nothing', () => {
    fc.assert(
      fc.property(object, (input) => {
        const first = judgeAnnotations(input, DEFAULT_CONTRACT_OPTIONS);
        const again = judgeAnnotations({ ...input, metadata: { ...input.metadata, annotations: first.annotations } }, DEFAULT_CONTRACT_OPTIONS);
        expect(again.normalized).toEqual({});
        expect(again.errors.map((error) => error.message)).toEqual(first.errors.map((error) => error.message));
      }),
      { seed: SEED, numRuns: 2_000 },
    );
  });
});

// The minimal counterexamples the properties above found, kept as named cases.
describe('regressions', () => {
  const route = (annotations: Record<string, unknown>, name = 'x'): KubeObject => ({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name, namespace: 'ns', annotations: annotations as Record<string, string> },
    spec: { parentRefs: [{ name: 'gw' }], rules: [{ backendRefs: [{ name: 'mcp-x-proxy' }] }] },
  });

  it('an annotation value {"toString": 1} (valid JSON in a raw review) made judgeAnnotations throw in String(raw)', () => {
    const judgement = judgeAnnotations(route({ [`${P}registry-__proto__`]: { toString: 1 } }), DEFAULT_CONTRACT_OPTIONS);
    expect(judgement.errors.map((error) => error.message)).toEqual([
      'HTTPRoute ns/x: annotation toolhive.stacklok.dev/registry-__proto__: is a value of type object, not a string (quote the value)',
    ]);
  });

  it('registry-export: true (an unquoted YAML boolean) read as "true", then buildExportIndex threw "value.trim is not a function"', () => {
    const input = route({ [`${P}registry-export`]: true, [`${P}registry-tools`]: ['a'] });
    expect(judgeAnnotations(input, DEFAULT_CONTRACT_OPTIONS).errors.map((error) => error.message)).toEqual([
      'HTTPRoute ns/x: annotation toolhive.stacklok.dev/registry-export: is the boolean true, not a string (quote the value)',
      'HTTPRoute ns/x: annotation toolhive.stacklok.dev/registry-tools: is an array, not a string (quote the value)',
    ]);
    expect(isExported(input.metadata?.annotations)).toBe(false);
    expect(readRegistryAnnotations(input.metadata?.annotations)).toEqual({});
    expect(validateObjects([{ object: input, source: 'x:1' }], DEFAULT_CONTRACT_OPTIONS)[0]?.allowed).toBe(false);
  });

  it('annotations that are a string (not a map) made readRegistryAnnotations throw (a WeakMap key)', () => {
    expect(readRegistryAnnotations('registry-export' as unknown as Record<string, string>)).toEqual({});
  });

  it('a line break in an object name, a list item or an expanded name broke the one-line message', () => {
    const messages = [
      ...judgeAnnotations(route({ [`${P}registry-tools`]: 'a,\u0085' }, 'a\nb'), DEFAULT_CONTRACT_OPTIONS).errors,
      ...judgeAnnotations(route({ [`${P}registry-name`]: 'tools' }), { ...DEFAULT_CONTRACT_OPTIONS, namePrefix: 'x\u2028y' }).errors,
    ].map((error) => error.message);
    expect(messages).toEqual([
      'HTTPRoute ns/a\\u000ab: annotation toolhive.stacklok.dev/registry-tools: "a,\\u0085" tool "\\u0085" does not match ^[A-Za-z0-9_-]{1,128}$',
      'HTTPRoute ns/x: annotation toolhive.stacklok.dev/registry-name: "tools" expands to "x\\u2028y/tools", which namespace part "x\\u2028y" must match ^[a-zA-Z0-9][a-zA-Z0-9.-]*[a-zA-Z0-9]$ (at least 2 characters)',
    ]);
  });
});
