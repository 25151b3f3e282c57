// Gauges read at scrape time from the running parts: informer health (time since each
// kind's last event, synced, restarts), leadership, and the publisher's queue depth.

import { Gauge, type Registry } from 'prom-client';
import type { KindStatus } from '../kubernetes/cluster-cache.ts';

export interface RuntimeSources {
  informers?: () => readonly KindStatus[];
  isLeader?: () => boolean;
  /** Cluster changes the publisher has not acted on yet; undefined while it is not running. */
  pendingChanges?: () => number | undefined;
}

export function registerRuntimeMetrics(registry: Registry, sources: RuntimeSources): void {
  if (sources.informers) {
    const informers = sources.informers;
    new Gauge({
      name: 'mcp_registry_export_informer_last_event_age_seconds',
      help: 'Seconds since each watched kind last saw a watch event or completed a list (a silent watch shows as a growing age).',
      labelNames: ['kind'] as const,
      registers: [registry],
      collect() {
        this.reset();
        const now = Date.now();
        for (const status of informers()) if (status.lastEventTime !== undefined) this.set({ kind: status.kind }, (now - status.lastEventTime) / 1000);
      },
    });
    new Gauge({
      name: 'mcp_registry_export_informer_synced',
      help: '1 when the kind has completed its initial list (0 while listing, or while its CRD is not installed).',
      labelNames: ['kind'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const status of informers()) this.set({ kind: status.kind }, status.synced ? 1 : 0);
      },
    });
    new Gauge({
      name: 'mcp_registry_export_informer_restarts',
      help: 'Informer runs started to replace a failed one, per kind, since the process started.',
      labelNames: ['kind'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const status of informers()) this.set({ kind: status.kind }, status.restarts);
      },
    });
  }
  if (sources.isLeader) {
    const isLeader = sources.isLeader;
    new Gauge({
      name: 'mcp_registry_export_leader',
      help: '1 on the replica that holds the Lease (publishes and manages certificates).',
      registers: [registry],
      collect() {
        this.set(isLeader() ? 1 : 0);
      },
    });
  }
  if (sources.pendingChanges) {
    const pending = sources.pendingChanges;
    new Gauge({
      name: 'mcp_registry_export_pending_changes',
      help: 'Cluster changes the publisher has not acted on yet (0 on replicas that do not publish).',
      registers: [registry],
      collect() {
        this.set(pending() ?? 0);
      },
    });
  }
}
