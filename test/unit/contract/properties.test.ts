// Properties of the contract over arbitrary input: normalization is idempotent, and no
// annotation value (or key) makes the judge throw.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ObjectIndex } from '../../../src/cluster/object-index.ts';
import { judgeAnnotations, judgeObject } from '../../../src/contract/judge.ts';
import { SHORT_KEYS } from '../../../src/contract/keys.ts';
import { DEFAULT_CONTRACT_OPTIONS } from '../../../src/contract/types.ts';
import type { KubeObject } from '../../../src/kubernetes/objects.ts';

const P = 'toolhive.stacklok.dev/';

// Values that look like what the rules expect, mixed with anything at all.
const value = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 50 }),
  fc.constantFrom('true', ' TRUE ', 'Official', 'latest', '1.2.3', 'https://x.example.com/mcp', '[]', '{}', 'a,,b, A ,b', '\u0000', ''),
  fc.array(fc.constantFrom('a', 'B', ' ', ',', '-', '_', '.', '/', 'é'), { maxLength: 40 }).map((chars) => chars.join('')),
  fc.json(),
);
const key = fc.oneof(
  fc.constantFrom(...SHORT_KEYS).map((k) => P + k),
  fc.string({ maxLength: 20 }).map((k) => `${P}registry-${k}`),
);
const kind = fc.constantFrom(
  { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute' },
  { apiVersion: 'toolhive.stacklok.dev/v1alpha1', kind: 'MCPServer' },
  { apiVersion: 'toolhive.stacklok.dev/v1beta1', kind: 'MCPRemoteProxy' },
  { apiVersion: 'toolhive.stacklok.dev/v1beta1', kind: 'VirtualMCPServer' },
);
const wellFormedSpec = fc.constant({ parentRefs: [{ name: 'gw' }], rules: [{ backendRefs: [{ name: 'mcp-x-proxy' }] }] });
// Mutating webhooks see objects before schema validation: the spec can be anything.
const anySpec = fc.oneof(wellFormedSpec, fc.anything(), fc.record({ parentRefs: fc.anything(), rules: fc.anything(), hostnames: fc.anything() }));
const object = fc.record({ kind, annotations: fc.dictionary(key, value, { maxKeys: 8 }), spec: anySpec }).map(
  ({ kind: identity, annotations, spec }): KubeObject => ({
    ...identity,
    metadata: { name: 'x', namespace: 'ns', annotations: { ...annotations, [`${P}registry-export`]: annotations[`${P}registry-export`] ?? 'true' } },
    spec,
  }),
);

describe('contract properties', () => {
  it('normalizing a normalized object changes nothing', () => {
    fc.assert(
      fc.property(object, (input) => {
        const first = judgeAnnotations(input, DEFAULT_CONTRACT_OPTIONS);
        const again = judgeAnnotations({ ...input, metadata: { ...input.metadata, annotations: first.annotations } }, DEFAULT_CONTRACT_OPTIONS);
        expect(again.normalized).toEqual({});
        expect(again.annotations).toEqual(first.annotations);
        expect(again.errors.map((e) => e.annotation).sort()).toEqual(first.errors.map((e) => e.annotation).sort());
      }),
      { numRuns: 500 },
    );
  });

  it('never throws, and every message is one line naming the object', () => {
    const gateway: KubeObject = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'gw', namespace: 'ns' }, spec: { listeners: [{ name: 'h', protocol: 'HTTP', port: 80 }] } };
    fc.assert(
      fc.property(object, (input) => {
        const lookups = new ObjectIndex([input, gateway]);
        const judgement = judgeObject(input, { lookups, options: DEFAULT_CONTRACT_OPTIONS });
        for (const finding of [...judgement.errors, ...judgement.warnings]) {
          expect(finding.message).not.toMatch(/[\n\r]/);
          expect(finding.message.startsWith(`${input.kind} ns/x: `)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on objects of any shape', () => {
    fc.assert(
      fc.property(fc.anything(), (input) => {
        judgeAnnotations(input as KubeObject, DEFAULT_CONTRACT_OPTIONS);
      }),
      { numRuns: 300 },
    );
  });
});
