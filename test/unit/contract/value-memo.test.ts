// judgeValue remembers what a pure rule said of a value; what it answers must be exactly
// what the rule answers, for any value, in any order, after the memo has filled and emptied.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SHORT_KEYS, type ShortKey } from '../../../src/contract/keys.ts';
import { judgeValue, normalizeList, VALUE_RULES, type ValueContext } from '../../../src/contract/value-rules.ts';

const CONTEXTS: ValueContext[] = [
  { owningNamespace: 'mcp', namePrefix: 'com.toolhive.k8s.{namespace}' },
  { owningNamespace: 'a'.repeat(190), namePrefix: 'com.toolhive.k8s.{namespace}' },
  { owningNamespace: 'team-b', namePrefix: 'io.example' },
];

function direct(key: ShortKey, raw: string, context: ValueContext) {
  const normalized = VALUE_RULES[key].normalize(raw);
  return { normalized, outcome: VALUE_RULES[key].check(normalized, context) };
}

describe('judgeValue', () => {
  it('answers what the rule answers, for any key, value and context, memo hit or miss', () => {
    const value = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom(' Official ', 'a, b,,A, a', 'github', 'x/y', 'https://example.com/i.svg', '1.4.2', 'TRUE', ' sse '),
      fc.string({ minLength: 500, maxLength: 700 }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...SHORT_KEYS), value, fc.constantFrom(...CONTEXTS), (key, raw, context) => {
        const expected = direct(key, raw, context);
        // Twice: the second answer comes from the memo for short values.
        expect(judgeValue(key, raw, context)).toEqual(expected);
        expect(judgeValue(key, raw, context)).toEqual(expected);
      }),
      { seed: 20_261_203, numRuns: 3_000 },
    );
  });

  it('keys the name rule by its context: the same bare name can pass in one namespace and fail in another', () => {
    const short = judgeValue('registry-name', 'github', CONTEXTS[0]!);
    const long = judgeValue('registry-name', 'github', CONTEXTS[1]!);
    expect(short.outcome.errors).toEqual([]);
    expect(long.outcome.errors).toHaveLength(1);
    expect(long.outcome.errors[0]).toMatch(/^expands to ".*", which is \d+ characters long/);
  });

  it('hands out frozen answers, so no caller can change what the next one reads', () => {
    const judged = judgeValue('registry-tier', 'Gold', CONTEXTS[0]!);
    expect(Object.isFrozen(judged)).toBe(true);
    expect(Object.isFrozen(judged.outcome.errors)).toBe(true);
    expect(() => (judged.outcome.errors as string[]).push('x')).toThrow(TypeError);
    expect(judgeValue('registry-tier', 'Gold', CONTEXTS[0]!).outcome.errors).toEqual(['is not one of Official, Community, Partner']);
  });

  it('stays right after more distinct values than it keeps', () => {
    for (let index = 0; index < 10_000; index++) {
      const raw = index % 2 === 0 ? `tag-${index}` : `Tag ${index}`;
      expect(judgeValue('registry-category', raw, CONTEXTS[0]!)).toEqual(direct('registry-category', raw, CONTEXTS[0]!));
    }
  });
});

describe('normalizeList', () => {
  it('returns a normalized list as it is and rebuilds any other', () => {
    const clean = 'get_issue,create_issue';
    expect(normalizeList(clean, false)).toBe(clean);
    expect(normalizeList('a,b,a', false)).toBe('a,b');
    expect(normalizeList('a,,b', false)).toBe('a,b');
    expect(normalizeList(' a,b', false)).toBe('a,b');
    expect(normalizeList('a,', false)).toBe('a');
    expect(normalizeList('', false)).toBe('');
    expect(normalizeList('Vcs,ci', true)).toBe('vcs,ci');
    expect(normalizeList('Vcs,ci', false)).toBe('Vcs,ci');
  });

  it('is idempotent and agrees with split-trim-dedupe for any input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60, unit: fc.constantFrom('a', 'B', ',', ' ', '\t', 'é') }), fc.boolean(), (value, lowercase) => {
        const items = value.split(',').map((part) => (lowercase ? part.trim().toLowerCase() : part.trim())).filter((item) => item !== '');
        const expected = [...new Set(items)].join(',');
        expect(normalizeList(value, lowercase)).toBe(expected);
        expect(normalizeList(expected, lowercase)).toBe(expected);
      }),
      { seed: 20_261_203, numRuns: 3_000 },
    );
  });
});
