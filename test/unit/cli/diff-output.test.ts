// `diff` output with the publishing rules (publishing.md, cli.md): a HOLD line per held
// name, PENDING for names not ready, KEEP for writes a policy or the guard keeps back,
// none of which sets the exit code; the first column never runs into the name.
import { describe, expect, it } from 'vitest';
import { diffJson, formatDiffText, hasChanges } from '../../../src/cli/diff-command.ts';
import { diffEntries } from '../../../src/diff/diff.ts';
import { applyPublishingRules, type RulesInput } from '../../../src/publishing-rules/index.ts';
import type { ServerEntry } from '../../../src/planner/server-entry.ts';
import { heldVersion, serverEntry } from '../../support/registry-entries.ts';
import { PUBLISHING_DEFAULTS } from '../../../src/publisher/publishing-settings.ts';

const entry = (name: string, owner = 'cluster-a', description = 'An MCP server') => serverEntry(name, { owner, description });
const held = (e: ServerEntry) => heldVersion(e);

function run(planned: ServerEntry[], registry: ServerEntry[], extra: Partial<RulesInput> = {}) {
  const diff = diffEntries(planned, new Map(registry.map((e) => [e.name, [held(e)]])), 'cluster-a');
  const rules = applyPublishingRules({
    diff,
    uncertainty: () => undefined,
    pending: new Map(),
    now: 0,
    since: new Map(),
    statusChanges: true,
    ...PUBLISHING_DEFAULTS,
    ...extra,
  });
  return { diff, rules };
}

describe('diff output', () => {
  it('a held name is a HOLD line with its reason and no change (exit 0)', () => {
    const stale = (s: { name: string }) => (s.name === 'a' ? { category: 'stale status' as const, reason: 'HTTPRoute mcp/a: status is stale' } : undefined);
    const result = run([], [entry('com.x/a')], { uncertainty: stale });
    expect(formatDiffText(result)).toBe('HOLD       com.x/a  (HTTPRoute mcp/a: status is stale)\n0 write(s), 0 conflict(s), 1 held, 0 unchanged: in sync\n');
    expect(hasChanges(result)).toBe(false);
    expect(diffJson(result)).toMatchObject({ writes: [], holds: [{ name: 'com.x/a', category: 'stale status', reason: 'HTTPRoute mcp/a: status is stale' }] });
  });

  it('CONFLICT and the longest action keep a space before the name', () => {
    const result = run([entry('com.x/b')], [entry('com.x/b', 'cluster-b')]);
    const text = formatDiffText(result);
    expect(text).toContain("CONFLICT   com.x/b  (the registry's com.x/b belongs to owner cluster-b)");
    expect(hasChanges(result)).toBe(true);
    for (const line of text.split('\n').slice(0, -2)) expect(line).toMatch(/^[A-Z]+ +\S/);
  });

  it('writes the policy keeps back are KEEP lines and no change; PENDING names a server not ready', () => {
    const result = run([entry('com.x/new')], [entry('com.x/gone')], { policy: 'upsert-only', pending: new Map([['com.x/new', 'MCPServer mcp/new is Failed']]) });
    const text = formatDiffText(result);
    expect(text).toContain('PENDING    com.x/new  (MCPServer mcp/new is Failed)');
    expect(text).toContain('KEEP       retire com.x/gone@1.0.0  (policy upsert-only never retires a name)');
    expect(hasChanges(result)).toBe(false);
    expect(diffJson(result)).toMatchObject({ pending: [{ name: 'com.x/new' }], kept: [{ action: 'retire', name: 'com.x/gone', rule: 'policy' }] });
  });

  it('what goes out is listed as before, with the action column padded', () => {
    const result = run([entry('com.x/a', 'cluster-a', 'new text')], [entry('com.x/a')]);
    expect(formatDiffText(result).split('\n').slice(0, 2)).toEqual([
      'UPDATE     com.x/a@1.0.1-0.1  (changed: description)',
      'RETIRE     com.x/a@1.0.0  (superseded by com.x/a@1.0.1-0.1)',
    ]);
  });
});
