// Prometheus metrics of the publisher, on a registry the caller gives (the admission
// webhook's in `run`, so one /metrics serves both) or a new one.

import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { WriteOutcome } from '../publisher/execute.ts';
import type { PassReport } from '../publisher/reconciler.ts';

export interface PublisherMetrics {
  registry: Registry;
  /** One registry HTTP request (the client's hook). */
  observeRequest(operation: string, outcome: string, seconds: number): void;
  observePass(pass: PassReport): void;
  /** A publisher (re)started leading: its first pass is not done yet. */
  observeStart(): void;
}

export function createPublisherMetrics(registry: Registry = new Registry()): PublisherMetrics {
  const requests = new Counter({
    name: 'mcp_registry_export_registry_requests_total',
    help: 'Requests to the MCP registry, by operation (list|versions|publish|status|auth) and outcome (ok, the status class such as 4xx, or network).',
    labelNames: ['operation', 'outcome'] as const,
    registers: [registry],
  });
  const requestSeconds = new Histogram({
    name: 'mcp_registry_export_registry_request_duration_seconds',
    help: 'Duration of requests to the MCP registry, by operation.',
    labelNames: ['operation'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15],
    registers: [registry],
  });
  const writes = new Counter({
    name: 'mcp_registry_export_registry_writes_total',
    help: 'Registry writes by kind (publish|update|retire|activate|deprecate) and result (written|failed|waiting).',
    labelNames: ['kind', 'result'] as const,
    registers: [registry],
  });
  const passSeconds = new Histogram({
    name: 'mcp_registry_export_reconcile_duration_seconds',
    help: 'Duration of one reconcile pass (plan, read, diff, write).',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const entries = new Gauge({
    name: 'mcp_registry_export_planned_entries',
    help: 'Registry entries the last plan produced.',
    registers: [registry],
  });
  const skipped = new Gauge({
    name: 'mcp_registry_export_skipped_objects',
    help: 'Exported objects the last plan skipped (each with a reason in the logs).',
    registers: [registry],
  });
  const entryStates = new Gauge({
    name: 'mcp_registry_export_entries',
    help: 'Planned registry entries after the last pass, by state: synced (the registry holds them), failed (the registry refused the write), waiting (behind another write), conflict (another owner holds the name), held (a hold or readiness keeps the write back), pending (not written yet, e.g. dry run, a failed pass, a policy).',
    labelNames: ['state'] as const,
    registers: [registry],
  });
  const publishLatency = new Histogram({
    name: 'mcp_registry_export_publish_latency_seconds',
    help: 'From the first cluster change a pass acted on to the end of the pass that wrote it to the registry.',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  const holds = new Counter({
    name: 'mcp_registry_export_holds_total',
    help: 'Holds started (publishing.md §1): a registry name left as it is because a source is uncertain, by category (stale status|unknown kind|not ready).',
    labelNames: ['category'] as const,
    registers: [registry],
  });
  const held = new Gauge({
    name: 'mcp_registry_export_held_entries',
    help: 'Registry names held after the last pass, by category and state (held: within the hold grace; past_grace: the grace has passed).',
    labelNames: ['category', 'state'] as const,
    registers: [registry],
  });
  const withheld = new Gauge({
    name: 'mcp_registry_export_withheld_writes',
    help: 'Writes the publishing rules kept back in the last pass, by rule (hold|not ready|namespace scope|policy|mass retire|contention).',
    labelNames: ['rule'] as const,
    registers: [registry],
  });
  const massRetireRefusals = new Counter({
    name: 'mcp_registry_export_mass_retire_refusals_total',
    help: 'Passes whose retires the mass-retire guard refused (--max-retire-fraction).',
    registers: [registry],
  });
  const contention = new Counter({
    name: 'mcp_registry_export_ownership_contention_total',
    help: 'Registry names found changed under the publisher twice in a row (another writer with the same identity).',
    registers: [registry],
  });
  const altered = new Counter({
    name: 'mcp_registry_export_registry_altered_entries_total',
    help: 'Registry copies found different from what was published for the same plan (a field dropped or normalized by the registry); not republished.',
    registers: [registry],
  });
  const firstPass = new Gauge({
    name: 'mcp_registry_export_publisher_first_pass_done',
    help: 'Whether the publisher (the leader) has finished its first reconcile pass since it started leading: 1 yes, 0 no.',
    registers: [registry],
  });
  const lastSuccess = new Gauge({
    name: 'mcp_registry_export_last_successful_reconcile_timestamp_seconds',
    help: 'Unix time of the last reconcile pass that finished without a registry failure.',
    registers: [registry],
  });
  return {
    registry,
    observeStart() {
      firstPass.set(0);
    },
    observeRequest(operation, outcome, seconds) {
      requests.inc({ operation, outcome });
      requestSeconds.observe({ operation }, seconds);
    },
    observePass(pass) {
      firstPass.set(1);
      passSeconds.observe(pass.durationMs / 1000);
      entries.set(pass.plan.entries.length);
      skipped.set(pass.plan.skipped.length);
      for (const outcome of pass.outcomes as WriteOutcome[]) writes.inc({ kind: outcome.write.kind, result: outcome.result });
      const states = entryStatesOf(pass);
      for (const [state, count] of Object.entries(states)) entryStates.set({ state }, count);
      if (pass.oldestChangeAt !== undefined) {
        const seconds = Math.max(0, (Date.now() - pass.oldestChangeAt) / 1000);
        for (const outcome of pass.outcomes) if (outcome.result === 'written' && outcome.write.kind !== 'retire') publishLatency.observe(seconds);
      }
      if (pass.error === undefined && !pass.outcomes.some((o) => o.result === 'failed')) lastSuccess.set(Date.now() / 1000);
      for (const hold of pass.newHolds) if (!hold.expired) holds.inc({ category: hold.category });
      if (pass.contended.length > 0) contention.inc(pass.contended.length);
      if (pass.altered.length > 0) altered.inc(pass.altered.length);
      if (pass.rules) {
        held.reset();
        for (const hold of pass.rules.holds) held.inc({ category: hold.category, state: hold.expired ? 'past_grace' : 'held' });
        withheld.reset();
        for (const { rule } of pass.rules.withheld) withheld.inc({ rule });
        if (pass.rules.massRetire) massRetireRefusals.inc();
      }
    },
  };
}

/** Each planned entry's state after a pass (see the metric's help). */
export function entryStatesOf(pass: PassReport): Record<'synced' | 'failed' | 'waiting' | 'conflict' | 'pending' | 'held', number> {
  const states = { synced: 0, failed: 0, waiting: 0, conflict: 0, pending: 0, held: 0 };
  if (!pass.diff) {
    states.pending = pass.plan.entries.length;
    return states;
  }
  states.synced = pass.diff.unchanged.length;
  states.conflict = pass.diff.conflicts.length;
  const byName = new Map<string, WriteOutcome['result']>();
  for (const outcome of pass.outcomes) if (outcome.write.kind === 'publish' || outcome.write.kind === 'update') byName.set(outcome.write.name, outcome.result);
  const heldNames = new Set((pass.rules?.withheld ?? []).filter((w) => w.rule === 'hold' || w.rule === 'not ready').map((w) => w.write.name));
  for (const write of pass.diff.writes) {
    if (write.kind !== 'publish' && write.kind !== 'update') continue;
    if (heldNames.has(write.name)) {
      states.held++;
      continue;
    }
    const result = byName.get(write.name);
    if (result === 'written') states.synced++;
    else if (result === 'failed') states.failed++;
    else if (result === 'waiting') states.waiting++;
    else states.pending++;
  }
  return states;
}
