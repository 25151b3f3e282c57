// The publisher as a running thing: informer caches -> reconcile loop -> registry client.
// `publisher` runs it alone; `run` shares its ClusterCache with the admission webhook.

import { hostname } from 'node:os';
import { ClusterCache } from '../kubernetes/cluster-cache.ts';
import { EventRecorder } from '../kubernetes/event-recorder.ts';
import { eventsForPass } from './pass-events.ts';
import type { Logger } from '../observability/logger.ts';
import { createPublisherMetrics, type PublisherMetrics } from '../observability/publisher-metrics.ts';
import type { RegistryFlavor } from '../planner/options.ts';
import type { RegistryClient } from '../registry/client.ts';
import { clusterOwnerId } from './owner.ts';
import { Reconciler, type PassReport } from './reconciler.ts';
import type { PublishingSettings } from './publishing-settings.ts';
import type { InstallationObject } from './pass-events.ts';
import { namespaceScopedLookups } from './scoped-lookups.ts';

export interface PublisherConfig {
  /** Ownership record owner ID; default: the kube-system Namespace's UID. */
  owner?: string;
  /** Ownership record installation ID (publishing.md §3); undefined: every record of the owner is ours. */
  installation?: string;
  /** The publishing rules; the namespaces come from `namespaces`. */
  rules?: Partial<Omit<PublishingSettings, 'namespaces'>>;
  /** Where Events about the installation itself go (the mass-retire guard). */
  installationObject?: InstallationObject;
  namePrefix: string;
  /** The planner's rules: those of the registry written to. */
  flavor: RegistryFlavor;
  /** Export only from these namespaces ([]: all). */
  namespaces: readonly string[];
  resyncIntervalMs: number;
  dryRun: boolean;
  /** How long to wait for the first sync of the caches (default 5 min). */
  syncTimeoutMs?: number;
  debounceMs?: number;
  /** Asked before every registry write: the leader elector's isLeader. */
  mayWrite?: () => boolean;
}

export interface PublisherDependencies {
  cache: ClusterCache;
  client: RegistryClient;
  metrics?: PublisherMetrics;
  onPass?: (pass: PassReport) => void;
  /** Where the pass's Events go; default: an EventRecorder on the cache's API server. */
  events?: Pick<EventRecorder, 'record' | 'stop'>;
}

export interface RunningPublisher {
  readonly owner: string;
  readonly reconciler: Reconciler;
  /** The caches have synced and the first pass has finished (with or without registry failures). */
  isReady(): boolean;
  /** Ends the loop after the running pass's writes; the caller stops the cache. */
  stop(): Promise<void>;
}

export async function startPublisher(config: PublisherConfig, logger: Logger, dependencies: PublisherDependencies): Promise<RunningPublisher> {
  const { cache, client } = dependencies;
  const metrics = dependencies.metrics ?? createPublisherMetrics();
  await cache.waitForSync(config.syncTimeoutMs ?? 5 * 60_000);
  const owner = config.owner ?? clusterOwnerId(cache);
  const startedAt = Date.now();
  metrics.observeStart();
  let firstPassDone = false;
  const events =
    dependencies.events ??
    new EventRecorder({
      kubeConfig: cache.kubeConfig,
      reportingController: 'mcp-registry-export.dev/publisher',
      reportingInstance: process.env['POD_NAME'] || hostname(),
      lookups: cache,
      logger: logger.child({ component: 'events' }),
    });
  const reconciler = new Reconciler({
    lookups: namespaceScopedLookups(cache, config.namespaces),
    client,
    plan: { namePrefix: config.namePrefix, flavor: config.flavor, owner, ...(config.installation ? { installation: config.installation } : {}) },
    rules: { ...config.rules, namespaces: config.namespaces },
    uncertainKinds: () => cache.uncertainKinds(),
    unservedKinds: () => cache.unservedSinceStart(),
    dryRun: config.dryRun,
    ...(config.mayWrite ? { mayWrite: config.mayWrite } : {}),
    resyncIntervalMs: config.resyncIntervalMs,
    ...(config.debounceMs === undefined ? {} : { debounceMs: config.debounceMs }),
    logger: logger.child({ component: 'reconciler' }),
    onPass(pass) {
      if (!firstPassDone) {
        logger.info({ ms: Date.now() - startedAt, entries: pass.plan.entries.length, ...(pass.error ? { err: pass.error } : {}) }, 'publisher: first reconcile pass done');
      }
      firstPassDone = true;
      metrics.observePass(pass);
      const writes = pass.outcomes.filter((o) => o.result === 'written').length;
      const level = pass.error || writes > 0 ? 'info' : 'debug';
      logger[level](
        { trigger: pass.trigger, entries: pass.plan.entries.length, skipped: pass.plan.skipped.length, pending: pass.rules?.notPublished.length ?? 0, held: pass.rules?.holds.filter((h) => !h.expired).length ?? 0, writes, registryReads: pass.registryReads, ms: Math.round(pass.durationMs), ...(pass.error ? { err: pass.error } : {}) },
        'reconcile pass',
      );
      events.record(eventsForPass(pass, config.installationObject));
      dependencies.onPass?.(pass);
    },
  });
  const unsubscribe = cache.onChange(() => reconciler.notifyChange());
  // A hold on an uncertain kind ends when the kind is certain again, even with nothing changed.
  const unsubscribeCertain = cache.onCertain(() => reconciler.notifyChange());
  logger.info(
    { owner, installation: config.installation, rules: config.rules, registry: client.baseUrl, flavor: client.flavor, namePrefix: config.namePrefix, namespaces: config.namespaces, resyncIntervalMs: config.resyncIntervalMs, dryRun: config.dryRun },
    'starting the publisher',
  );
  reconciler.start();
  return {
    owner,
    reconciler,
    isReady: () => cache.isSynced() && firstPassDone,
    async stop() {
      unsubscribe();
      unsubscribeCertain();
      await reconciler.stop();
      await events.stop();
    },
  };
}
