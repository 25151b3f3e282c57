// The admission metrics: names and units as documented, our own registry (two instances
// never share counts), buckets that resolve sub-millisecond answers.

import { register as globalRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ADMISSION_DURATION_BUCKETS, createAdmissionMetrics } from '../../../src/observability/metrics.ts';

describe('admission metrics', () => {
  it('counts by operation, kind and verdict and times in seconds', async () => {
    const metrics = createAdmissionMetrics();
    metrics.observeAdmission('validate', 'HTTPRoute', 'denied', 0.0004);
    metrics.observeAdmission('validate', 'HTTPRoute', 'denied', 0.002);
    metrics.observeAdmission('mutate', 'MCPServer', 'patched', 0.00005);
    const text = await metrics.registry.metrics();
    expect(text).toContain('mcp_registry_export_admission_requests_total{operation="validate",kind="HTTPRoute",verdict="denied"} 2');
    expect(text).toContain('mcp_registry_export_admission_requests_total{operation="mutate",kind="MCPServer",verdict="patched"} 1');
    expect(text).toContain('mcp_registry_export_admission_duration_seconds_bucket{le="0.0005",operation="validate"} 1');
    expect(text).toContain('mcp_registry_export_admission_duration_seconds_bucket{le="0.0001",operation="mutate"} 1');
    expect(text).toMatch(/mcp_registry_export_admission_duration_seconds_sum\{operation="validate"\} 0\.0024/);
  });

  it('counts internal errors while judging by operation and kind', async () => {
    const metrics = createAdmissionMetrics();
    metrics.countInternalError('validate', 'MCPServer');
    metrics.countInternalError('validate', 'MCPServer');
    const text = await metrics.registry.metrics();
    expect(text).toContain('# TYPE mcp_registry_export_admission_internal_errors_total counter');
    expect(text).toContain('mcp_registry_export_admission_internal_errors_total{operation="validate",kind="MCPServer"} 2');
  });

  it('keeps each instance on its own registry, never the global one', async () => {
    const a = createAdmissionMetrics();
    const b = createAdmissionMetrics();
    a.observeAdmission('validate', 'HTTPRoute', 'allowed', 0.001);
    expect(await b.registry.metrics()).not.toContain('verdict="allowed"} 1');
    expect(await globalRegistry.metrics()).not.toContain('mcp_registry_export_admission');
  });

  it('resolves 100 µs to 100 ms', () => {
    expect(ADMISSION_DURATION_BUCKETS[0]).toBeLessThanOrEqual(0.0001);
    expect(ADMISSION_DURATION_BUCKETS).toContain(0.1);
    expect([...ADMISSION_DURATION_BUCKETS].sort((x, y) => x - y)).toEqual(ADMISSION_DURATION_BUCKETS);
  });

  it('adds process metrics on request', async () => {
    const metrics = createAdmissionMetrics({ processMetrics: true });
    expect(await metrics.registry.metrics()).toContain('mcp_registry_export_process_resident_memory_bytes');
  });
});
