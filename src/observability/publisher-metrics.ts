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
      if (pass.error === undefined && !pass.outcomes.some((o) => o.result === 'failed')) lastSuccess.set(Date.now() / 1000);
    },
  };
}
