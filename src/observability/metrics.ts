// Prometheus metrics of the admission webhook, on a registry of our own (never prom-client's
// global one, so tests and embedders get independent counters). Units are in the names:
// durations are `_seconds` histograms (Pepr compared milliseconds to seconds; see
// shared/research/anchors.md §1.8).

import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

export type AdmissionOperation = 'validate' | 'mutate';
export type AdmissionVerdict = 'allowed' | 'denied' | 'patched' | 'error' | 'bad_request';

/** The API server calls a webhook with a deadline of 1-30 s; ours should answer in well under 100 ms. */
export const ADMISSION_DURATION_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

export interface AdmissionMetrics {
  registry: Registry;
  /** Count one answered AdmissionReview and its latency, from the first byte read to the response. */
  observeAdmission(operation: AdmissionOperation, kind: string, verdict: AdmissionVerdict, seconds: number): void;
  /** Count one review allowed unjudged because judging it threw (an internal error, a bug to report). */
  countInternalError(operation: AdmissionOperation, kind: string): void;
}

export interface MetricsOptions {
  /** Also export the process metrics (CPU, memory, event loop lag); off in tests to keep timers away. */
  processMetrics?: boolean;
}

export function createAdmissionMetrics(options: MetricsOptions = {}): AdmissionMetrics {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry, prefix: 'mcp_registry_export_' });
  const requests = new Counter({
    name: 'mcp_registry_export_admission_requests_total',
    help: 'AdmissionReviews answered, by operation (validate|mutate), object kind and verdict (allowed|denied|patched|error|bad_request).',
    labelNames: ['operation', 'kind', 'verdict'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'mcp_registry_export_admission_duration_seconds',
    help: 'Time to answer an AdmissionReview, from reading the request body to sending the response.',
    labelNames: ['operation'] as const,
    buckets: ADMISSION_DURATION_BUCKETS,
    registers: [registry],
  });
  const internalErrors = new Counter({
    name: 'mcp_registry_export_admission_internal_errors_total',
    help: 'AdmissionReviews allowed unjudged because judging the object threw an internal error, by operation (validate|mutate) and object kind.',
    labelNames: ['operation', 'kind'] as const,
    registers: [registry],
  });
  return {
    registry,
    observeAdmission(operation, kind, verdict, seconds) {
      requests.inc({ operation, kind, verdict });
      duration.observe({ operation }, seconds);
    },
    countInternalError(operation, kind) {
      internalErrors.inc({ operation, kind });
    },
  };
}
