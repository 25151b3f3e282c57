// Per-key normalization and value rules of the annotation contract (annotations.md,
// "Keys"). Each rule gets the normalized value and returns rule sentences; judge.ts turns
// them into the one-line messages users see.

import { isIPv4 } from 'node:net';
import type { ShortKey } from './keys.ts';
import { registryNameProblem } from './registry-name.ts';

export interface RuleOutcome {
  errors: string[];
  warnings: string[];
}

export interface ValueContext {
  /** Namespace that owns a bare registry name when it is expanded. */
  owningNamespace: string;
  namePrefix: string;
}

export const TIERS = ['Official', 'Community', 'Partner'] as const;
export const TRANSPORTS = ['streamable-http', 'sse'] as const;

const TOOL_ITEM = /^[A-Za-z0-9_-]{1,128}$/;
const TAG_ITEM = /^[a-z0-9][a-z0-9_-]*[a-z0-9]$/;
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;
const SEMVER =
  /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?$/;
const VERSION_RANGE = /[\^~<>=*|\s]|^[vV]?\d+(\.\d+)?$|\.[xX*](\.|$)/;

const trim = (value: string): string => value.trim();
const trimLower = (value: string): string => value.trim().toLowerCase();

/** Split, trim, drop empty items and duplicates (first one kept), join with `,`. */
export function normalizeList(value: string, lowercase: boolean): string {
  // One pass: a Set keeps the first of each item, in order. Most values are normalized
  // already (the mutating webhook ran first); they come back as they are, without a join.
  const items = new Set<string>();
  let changed = false;
  for (const part of value.split(',')) {
    const item = lowercase ? part.trim().toLowerCase() : part.trim();
    if (item === '' || items.has(item) || item !== part) changed = true;
    if (item !== '') items.add(item);
  }
  return changed ? [...items].join(',') : value;
}

export function splitList(value: string): string[] {
  return value === '' ? [] : value.split(',');
}

// Most values pass: one shared, frozen outcome instead of two arrays per value.
const OK: RuleOutcome = Object.freeze({ errors: Object.freeze([]) as unknown as string[], warnings: Object.freeze([]) as unknown as string[] });

function ok(): RuleOutcome {
  return OK;
}

function fail(...errors: string[]): RuleOutcome {
  return { errors, warnings: [] };
}

function checkText(value: string): RuleOutcome {
  if (value.length === 0) return fail('must not be empty');
  // Characters are code points; there are never more of them than UTF-16 units, so only a
  // long value needs counting.
  if (value.length > 100) {
    const length = [...value].length;
    if (length > 100) return fail(`is ${length} characters long, at most 100 are allowed`);
  }
  if (CONTROL_CHARACTER.test(value)) return fail('must not contain control characters');
  return ok();
}

function checkList(value: string, item: RegExp, itemRule: string, maxItems: number, noun: string): RuleOutcome {
  const items = splitList(value);
  if (items.length === 0) return fail(`lists no ${noun}s (remove the annotation instead)`);
  const errors: string[] = [];
  if (items.length > maxItems) errors.push(`lists ${items.length} ${noun}s, at most ${maxItems} are allowed`);
  const bad = items.filter((entry) => !item.test(entry) || entry.length > 128);
  if (bad.length > 0) {
    const shown = bad.slice(0, 3).map((entry) => JSON.stringify(entry.length > 32 ? `${entry.slice(0, 32)}…` : entry));
    const more = bad.length > 3 ? ` and ${bad.length - 3} more` : '';
    errors.push(`${noun} ${shown.join(', ')}${more} ${bad.length === 1 ? 'does' : 'do'} not match ${itemRule}`);
  }
  return { errors, warnings: [] };
}

function checkTag(value: string): string | undefined {
  if (value.length < 2 || value.length > 64) return 'must be 2 to 64 characters';
  if (!TAG_ITEM.test(value)) return 'must match ^[a-z0-9][a-z0-9_-]*[a-z0-9]$';
  return undefined;
}

/** localhost, *.localhost, 127.0.0.0/8, ::1 and IPv4-mapped 127.x (URL.hostname form, brackets allowed). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIPv4(host)) return host.startsWith('127.');
  return host === '::1' || host === '0:0:0:0:0:0:0:1' || /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(host);
}

function checkRegistryUrl(value: string): RuleOutcome {
  if (value.length > 2048) return fail(`is ${value.length} characters long, at most 2048 are allowed`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fail('is not an absolute URL');
  }
  const errors: string[] = [];
  const warnings: string[] = [];
  if (url.protocol !== 'https:' && url.protocol !== 'http:') errors.push(`has scheme ${url.protocol.slice(0, -1)}, only https and http are allowed`);
  else if (!url.hostname) errors.push('has no host');
  if (url.username || url.password) errors.push('must not carry user information');
  if (value.includes('#')) errors.push('must not have a fragment');
  if (errors.length === 0) {
    if (url.protocol === 'http:') warnings.push('uses http; the upstream MCP registry accepts only https remotes');
    if (isLoopbackHost(url.hostname)) warnings.push('points at a loopback host; the upstream MCP registry rejects it');
  }
  return { errors, warnings };
}

function checkIcon(value: string): RuleOutcome {
  if (value.length > 255) return fail(`is ${value.length} characters long, at most 255 are allowed`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fail('is not an absolute https URL');
  }
  if (url.protocol !== 'https:' || !url.hostname) return fail('is not an absolute https URL');
  return ok();
}

function checkVersion(value: string): RuleOutcome {
  if (value.length > 255) return fail(`is ${value.length} characters long, at most 255 are allowed`);
  if (value.toLowerCase() === 'latest') return fail('"latest" is not allowed: publish a fixed version MAJOR.MINOR.PATCH');
  if (value.includes('+')) return fail('must not carry build metadata (+...)');
  if (SEMVER.test(value)) return ok();
  if (VERSION_RANGE.test(value)) return fail('is a version range; a fixed version MAJOR.MINOR.PATCH[-PRERELEASE] is required');
  return fail('is not a semantic version MAJOR.MINOR.PATCH[-PRERELEASE] (no leading zeros)');
}

function parseJson(value: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(value) };
  } catch {
    return { ok: false };
  }
}

function checkToolsJson(value: string): RuleOutcome {
  const parsed = parseJson(value);
  if (!parsed.ok || !Array.isArray(parsed.value)) return fail('must be a JSON array of tool names');
  const items = parsed.value;
  if (!items.every((item) => typeof item === 'string')) return fail('must be a JSON array of strings');
  const errors: string[] = [];
  if (new Set(items).size !== items.length) errors.push('must not list a tool twice');
  const bad = (items as string[]).filter((item) => !TOOL_ITEM.test(item));
  if (bad.length > 0) errors.push(`tool ${JSON.stringify(bad[0]!.slice(0, 32))} does not match ^[A-Za-z0-9_-]{1,128}$`);
  if (items.length > 256) errors.push(`lists ${items.length} tools, at most 256 are allowed`);
  return { errors, warnings: [] };
}

function checkToolDefinitions(value: string): RuleOutcome {
  const parsed = parseJson(value);
  if (!parsed.ok || !Array.isArray(parsed.value)) return fail('must be a JSON array of tool definition objects');
  const index = parsed.value.findIndex(
    (item) => typeof item !== 'object' || item === null || Array.isArray(item) || typeof item.name !== 'string' || item.name === '',
  );
  if (index >= 0) return fail(`item ${index} must be an object with a non-empty string "name"`);
  return ok();
}

function checkAuthzClaims(value: string): RuleOutcome {
  const parsed = parseJson(value);
  if (!parsed.ok || typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) {
    return fail('must be a JSON object');
  }
  for (const [claim, claimValue] of Object.entries(parsed.value)) {
    const valid = typeof claimValue === 'string' || (Array.isArray(claimValue) && claimValue.every((v) => typeof v === 'string'));
    if (!valid) return fail(`claim ${JSON.stringify(claim.slice(0, 32))} must be a string or an array of strings`);
  }
  return ok();
}

interface ValueRule {
  normalize: (value: string) => string;
  check: (value: string, context: ValueContext) => RuleOutcome;
}

export const VALUE_RULES: Record<ShortKey, ValueRule> = {
  'registry-export': {
    normalize: trimLower,
    check: (v) => (v === 'true' || v === 'false' ? ok() : fail('must be "true" or "false"')),
  },
  'registry-url': { normalize: trim, check: checkRegistryUrl },
  'registry-name': {
    normalize: trim,
    check: (v, context) => {
      const problem = registryNameProblem(v, context.owningNamespace, context.namePrefix);
      return problem ? fail(problem) : ok();
    },
  },
  'registry-description': { normalize: trim, check: checkText },
  'registry-title': { normalize: trim, check: checkText },
  'registry-tier': {
    normalize: (v) => TIERS.find((tier) => tier.toLowerCase() === v.trim().toLowerCase()) ?? v.trim(),
    check: (v) => ((TIERS as readonly string[]).includes(v) ? ok() : fail(`is not one of ${TIERS.join(', ')}`)),
  },
  'registry-tools': {
    normalize: (v) => normalizeList(v, false),
    check: (v) => checkList(v, TOOL_ITEM, '^[A-Za-z0-9_-]{1,128}$', 256, 'tool'),
  },
  'registry-tags': {
    normalize: (v) => normalizeList(v, true),
    check: (v) => checkList(v, /^(?=.{2,64}$)[a-z0-9][a-z0-9_-]*[a-z0-9]$/, '^[a-z0-9][a-z0-9_-]*[a-z0-9]$ (2 to 64 characters)', 64, 'tag'),
  },
  'registry-category': {
    normalize: trimLower,
    check: (v) => {
      const problem = checkTag(v);
      return problem ? fail(problem) : ok();
    },
  },
  'registry-icon': { normalize: trim, check: checkIcon },
  'registry-version': { normalize: trim, check: checkVersion },
  'registry-transport': {
    normalize: trimLower,
    check: (v) => ((TRANSPORTS as readonly string[]).includes(v) ? ok() : fail(`is not one of ${TRANSPORTS.join(', ')}`)),
  },
  tools: { normalize: (v) => v, check: checkToolsJson },
  'tool-definitions': { normalize: (v) => v, check: checkToolDefinitions },
  'authz-claims': { normalize: (v) => v, check: checkAuthzClaims },
};

/** A value after its rule: the normalized text and what the rule said of it. */
export interface JudgedValue {
  normalized: string;
  outcome: RuleOutcome;
}

// The same values come back again and again: /mutate then /validate of one write, the
// API server's retries, GitOps tools re-applying unchanged objects, and every check that
// reads a name again. Rules are pure, so their answers are kept for short values (whose memo
// key costs less than the rule), a bounded number of them, dropped all at once when full.
const MEMO_VALUE_LIMIT = 512;
const MEMO_ENTRIES = 4096;
// One map per key (and per context for the name rule), keyed by the raw value itself: a
// key built by concatenation would be copied and hashed on every call.
const memo = new Map<string, Map<string, JudgedValue>>();
let memoEntries = 0;

function memoFor(key: ShortKey, context: ValueContext): Map<string, JudgedValue> {
  const scope = key === 'registry-name' ? `${key}\u0000${context.owningNamespace}\u0000${context.namePrefix}` : key;
  let values = memo.get(scope);
  if (values === undefined) {
    values = new Map();
    memo.set(scope, values);
  }
  return values;
}

function freezeOutcome(outcome: RuleOutcome): RuleOutcome {
  if (outcome === OK) return OK;
  return Object.freeze({ errors: Object.freeze(outcome.errors) as string[], warnings: Object.freeze(outcome.warnings) as string[] });
}

function applyRule(key: ShortKey, raw: string, context: ValueContext): JudgedValue {
  const rule = VALUE_RULES[key];
  const normalized = rule.normalize(raw);
  return Object.freeze({ normalized, outcome: freezeOutcome(rule.check(normalized, context)) });
}

/** Normalize a raw value and check it with its key's rule; the answer is frozen, and shared for short values. */
export function judgeValue(key: ShortKey, raw: string, context: ValueContext): JudgedValue {
  if (raw.length > MEMO_VALUE_LIMIT) return applyRule(key, raw, context);
  let values = memoFor(key, context);
  let judged = values.get(raw);
  if (judged === undefined) {
    judged = applyRule(key, raw, context);
    if (memoEntries >= MEMO_ENTRIES) {
      memo.clear();
      memoEntries = 0;
      values = memoFor(key, context);
    }
    values.set(raw, judged);
    memoEntries++;
  }
  return judged;
}
