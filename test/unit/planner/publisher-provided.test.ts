// The byte count of publisher-provided metadata: what Go's json.Marshal writes (the
// registry's 4096-byte limit), computed by walking the value, checked against serializing.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { marshaledJsonBytes } from '../../../src/planner/publisher-provided.ts';

/** Serialize, then add what Go's HTML-safe escaping adds. */
function serializedBytes(value: unknown): number {
  const json = JSON.stringify(value);
  let extra = 0;
  for (const char of json) {
    if (char === '<' || char === '>' || char === '&') extra += 5;
    else if (char === '\u2028' || char === '\u2029') extra += 3;
  }
  return Buffer.byteLength(json, 'utf8') + extra;
}

describe('marshaledJsonBytes', () => {
  it.each<[string, unknown, number]>([
    ['plain ASCII', { a: 'b' }, 9],
    ['HTML characters, six bytes each in Go', { a: '<&>' }, 9 + 2 + 15],
    ['a quote and a backslash', ['"\\'], 8],
    ['non-ASCII', ['é€😀'], 2 + 2 + 2 + 3 + 4],
    ['line and paragraph separators', ['\u2028\u2029'], 2 + 2 + 12],
    ['control characters', ['\n\u0001'], 2 + 2 + 2 + 6],
    ['undefined members are left out', { a: undefined, b: 1 }, 7],
    ['empty containers', { a: [], b: {} }, 15],
  ])('%s', (_, value, bytes) => {
    expect(marshaledJsonBytes(value)).toBe(bytes);
    expect(serializedBytes(value)).toBe(bytes);
  });

  it('agrees with serializing for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'binary' }), (value) => {
        expect(marshaledJsonBytes(value)).toBe(serializedBytes(value));
      }),
      { numRuns: 500 },
    );
  });
});
