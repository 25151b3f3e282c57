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
    help: 'Registry writes by kind (publish|update|retire) and result (written|failed|waiting).',
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
    help: 'Planned registry entries after the last pass, by state: synced (the registry holds them), failed (the registry refused the write), waiting (behind another write), conflict (another owner holds the name), pending (not written yet, e.g. dry run or a failed pass).',
    labelNames: ['state'] as const,
    registers: [registry],
  });
  const publishLatency = new Histogram({
    name: 'mcp_registry_export_publish_latency_seconds',
    help: 'From the first cluster change a pass acted on to the end of the pass that wrote it to the registry.',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  const lastSuccess = new Gauge({
    name: 'mcp_registry_export_last_successful_reconcile_timestamp_seconds',
    help: 'Unix time of the last reconcile pass that finished without a registry failure.',
    registers: [registry],
  });
  return {
    registry,
    observeRequest(operation, outcome, seconds) {
      requests.inc({ operation, outcome });
      requestSeconds.observe({ operation }, seconds);
    },
    observePass(pass) {
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
    },
  };
}

/** Each planned entry's state after a pass (see the metric's help). */
export function entryStatesOf(pass: PassReport): Record<'synced' | 'failed' | 'waiting' | 'conflict' | 'pending', number> {
  const states = { synced: 0, failed: 0, waiting: 0, conflict: 0, pending: 0 };
  if (!pass.diff) {
    states.pending = pass.plan.entries.length;
    return states;
  }
  states.synced = pass.diff.unchanged.length;
  states.conflict = pass.diff.conflicts.length;
  const byName = new Map<string, WriteOutcome['result']>();
  for (const outcome of pass.outcomes) if (outcome.write.kind !== 'retire') byName.set(outcome.write.name, outcome.result);
  for (const write of pass.diff.writes) {
    if (write.kind === 'retire') continue;
    const result = byName.get(write.name);
    if (result === 'written') states.synced++;
    else if (result === 'failed') states.failed++;
    else if (result === 'waiting') states.waiting++;
    else states.pending++;
  }
  return states;
}
