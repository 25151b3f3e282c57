import { describe, expect, it } from 'vitest';
import { createPublisherMetrics, entryStatesOf } from '../../../src/observability/publisher-metrics.ts';
import type { PassReport } from '../../../src/publisher/reconciler.ts';
import { RegistryError } from '../../../src/registry/client.ts';

const entry = (name: string) => ({ name, _meta: {} }) as never;
const publish = (id: number, name: string) => ({ id, kind: 'publish' as const, name, version: '1.0.0', reason: 'new', after: [], entry: entry(name), baseVersion: '1.0.0', rerankLatest: false });

function pass(overrides: Partial<PassReport> = {}): PassReport {
  const writes = [publish(0, 'a/written'), publish(1, 'a/refused'), publish(2, 'a/behind'), { id: 3, kind: 'retire' as const, name: 'a/gone', version: '1.0.0', reason: 'no longer planned', after: [], sources: [] }];
  return {
    trigger: 'change',
    plan: { entries: ['a/written', 'a/refused', 'a/behind', 'a/same', 'a/taken'].map(entry), skipped: [], warnings: [] },
    diff: { writes, conflicts: [{ name: 'a/taken', owner: 'other', reason: 'owned by other' }], unchanged: ['a/same'] },
    outcomes: [
      { write: writes[0]!, result: 'written' },
      { write: writes[1]!, result: 'failed', error: new RegistryError('publish', 'HTTP 403: forbidden', { status: 403, retryable: false }) },
      { write: writes[2]!, result: 'waiting', on: [1] },
      { write: writes[3]!, result: 'written' },
    ],
    registryReads: 0,
    durationMs: 12,
    newHolds: [],
    contended: [],
    altered: [],
    ...overrides,
  } as PassReport;
}

describe('publisher metrics', () => {
  it('counts holds, what the rules kept back, refusals, contention and altered copies (publishing.md)', async () => {
    const metrics = createPublisherMetrics();
    const base = pass();
    const hold = { name: 'a/behind', category: 'stale status' as const, reason: 'stale', sources: [], since: 0, expired: false, fresh: true };
    const rules = {
      writes: [],
      holds: [hold, { ...hold, name: 'a/x', category: 'not ready' as const, expired: true }],
      withheld: [{ write: base.diff!.writes[2]!, rule: 'hold' as const, reason: 'stale' }, { write: base.diff!.writes[3]!, rule: 'mass retire' as const, reason: 'too many' }],
      notPublished: [],
      massRetire: { refusal: 'too many', names: ['a/gone'] },
      since: new Map(),
    };
    metrics.observePass(pass({ rules, newHolds: [hold], contended: ['a/written'], altered: ['a/same'] }));
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/mcp_registry_export_holds_total\{category="stale status"\} 1\n/);
    expect(text).toMatch(/mcp_registry_export_held_entries\{category="stale status",state="held"\} 1\n/);
    expect(text).toMatch(/mcp_registry_export_held_entries\{category="not ready",state="past_grace"\} 1\n/);
    expect(text).toMatch(/mcp_registry_export_withheld_writes\{rule="mass retire"\} 1\n/);
    expect(text).toMatch(/mcp_registry_export_mass_retire_refusals_total 1\n/);
    expect(text).toMatch(/mcp_registry_export_ownership_contention_total 1\n/);
    expect(text).toMatch(/mcp_registry_export_registry_altered_entries_total 1\n/);
    expect(entryStatesOf(pass({ rules }))).toMatchObject({ held: 1, waiting: 0 });
  });

  it('counts each planned entry in one state', () => {
    expect(entryStatesOf(pass())).toEqual({ synced: 2, failed: 1, waiting: 1, conflict: 1, pending: 0, held: 0 });
    expect(entryStatesOf(pass({ diff: undefined, outcomes: [] }))).toEqual({ synced: 0, failed: 0, waiting: 0, conflict: 0, pending: 5, held: 0 });
  });

  it('observes the publish latency of written publishes only, from the oldest change of the pass', async () => {
    const metrics = createPublisherMetrics();
    metrics.observePass(pass({ oldestChangeAt: Date.now() - 1_500 }));
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/mcp_registry_export_publish_latency_seconds_count 1\n/);
    expect(text).toMatch(/mcp_registry_export_publish_latency_seconds_bucket\{le="1"\} 0\n/);
    expect(text).toMatch(/mcp_registry_export_publish_latency_seconds_bucket\{le="2.5"\} 1\n/);
    expect(text).toMatch(/mcp_registry_export_entries\{state="synced"\} 2\n/);
    // A pass that acted on no change (a resync) observes nothing.
    metrics.observePass(pass());
    expect(await metrics.registry.metrics()).toMatch(/mcp_registry_export_publish_latency_seconds_count 1\n/);
  });
});
