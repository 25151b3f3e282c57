// `mcp-registry-export publisher` (and the publisher half of `run`): keeps the registry in
// sync with the cluster (cli.md "publisher (and run)"). Flags fall back to
// MCP_REGISTRY_EXPORT_<FLAG> environment variables.

import { InvalidArgumentError, Option, type Command } from 'commander';
import { ClusterCache } from '../kubernetes/cluster-cache.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import { startProbeServer } from '../observability/probe-server.ts';
import { registerRuntimeMetrics } from '../observability/runtime-metrics.ts';
import { createPublisherMetrics, type PublisherMetrics } from '../observability/publisher-metrics.ts';
import { startPublisher, type PublisherConfig, type RunningPublisher } from '../publisher/publisher.ts';
import { createRegistryClient, type RegistryConfig } from '../registry/index.ts';
import { parseDuration } from './durations.ts';
import { collect, commaList, namePrefixOption, UsageError } from './options.ts';
import { addPublishingOptions, installationFrom, publishingSettingsFrom, type PublishingFlags } from './publishing-options.ts';
import { resolveInstallNamespace } from './install-namespace.ts';
import type { InstallationObject } from '../publisher/pass-events.ts';
import { addRegistryOptions, insecureRegistryWarning, registryConfigFrom, type RegistryFlags } from './registry-options.ts';
import type { Elector } from '../leader-election/elector.ts';
import { addLeaderElectionOptions, createElector, DEFAULT_LEASE_NAME, validateLeaderFlags, type LeaderFlags } from './leader-options.ts';
import { deferred, logLevelOption, untilTerminated } from './webhook-command.ts';
import { collectDefaultMetrics, Registry } from 'prom-client';

export const DEFAULT_PUBLISHER_PORT = 8080;
export const DEFAULT_RESYNC_INTERVAL = '5m';

export interface PublisherFlags extends RegistryFlags, PublishingFlags {
  owner?: string;
  namePrefix: string;
  namespace?: string[];
  resyncInterval: number;
  dryRun?: boolean;
  kubeconfig?: string;
  logLevel: Parameters<typeof createLogger>[0]['level'];
}

function parseResync(value: string): number {
  const ms = parseDuration(value);
  if (ms !== 0 && ms < 1_000) throw new InvalidArgumentError('must be 0 (never) or at least 1s');
  return ms;
}

/** The publisher's own options (shared with `run`). */
export function addPublisherOptions(command: Command): Command {
  return addPublishingOptions(addRegistryOptions(command))
    .addOption(new Option('--owner <id>', 'owner ID in the ownership record (default: the UID of the kube-system Namespace)').env('MCP_REGISTRY_EXPORT_OWNER'))
    .addOption(namePrefixOption())
    .addOption(new Option('--namespace <namespace>', 'export only from this namespace; repeatable (default: all)').argParser(collect).env('MCP_REGISTRY_EXPORT_NAMESPACE'))
    .addOption(
      new Option('--resync-interval <duration>', 'read the registry in full this often to repair drift (0: never)')
        .env('MCP_REGISTRY_EXPORT_RESYNC_INTERVAL')
        .argParser(parseResync)
        .default(parseDuration(DEFAULT_RESYNC_INTERVAL), DEFAULT_RESYNC_INTERVAL),
    )
    .addOption(new Option('--dry-run', 'plan and diff against the live registry, log the writes, write nothing').env('MCP_REGISTRY_EXPORT_DRY_RUN'))
    .addOption(new Option('--kubeconfig <file>', 'kubeconfig file (default: KUBECONFIG, ~/.kube/config, then in-cluster)'))
    .addOption(logLevelOption());
}

export function publisherConfigFrom(flags: PublisherFlags & { installNamespace?: string | undefined; leaseName?: string | undefined }): { publisher: PublisherConfig; registry: RegistryConfig } {
  const registry = registryConfigFrom(flags);
  const namespaces = commaList(flags.namespace);
  const rules = publishingSettingsFrom(flags);
  return {
    registry,
    publisher: {
      ...(flags.owner ? { owner: flags.owner } : {}),
      installation: installationFrom(flags),
      rules,
      installationObject: installationObject(flags),
      namePrefix: flags.namePrefix,
      flavor: registry.flavor,
      namespaces,
      resyncIntervalMs: flags.resyncInterval,
      dryRun: flags.dryRun === true,
    },
  };
}

/** The --allow-insecure-registry warning, logged once at start by `publisher` and `run`. */
export function logInsecureRegistry(registry: RegistryConfig, logger: Logger): void {
  const warning = insecureRegistryWarning(registry);
  if (warning) logger.warn({ registryHost: new URL(registry.url).host, auth: registry.auth.mode }, warning);
}

/** Events about the installation (the mass-retire guard) regard its Pod, else its Lease. */
function installationObject(flags: { installNamespace?: string | undefined; leaseName?: string | undefined }): InstallationObject {
  const namespace = resolveInstallNamespace(flags.installNamespace);
  const pod = process.env['POD_NAME'];
  if (pod) return { apiVersion: 'v1', kind: 'Pod', namespace, name: pod };
  return { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace, name: flags.leaseName || DEFAULT_LEASE_NAME };
}

export interface PublisherProcess {
  publisher: RunningPublisher;
  stop(): Promise<void>;
}

/** Cache + client + reconcile loop; `metrics` is the Prometheus registry to add to. */
export async function startPublisherProcess(
  configs: { publisher: PublisherConfig; registry: RegistryConfig },
  logger: Logger,
  cache: ClusterCache,
  metricsRegistry?: Registry,
): Promise<RunningPublisher> {
  const metrics = publisherMetricsFor(metricsRegistry);
  const client = createRegistryClient(configs.registry, { logger: logger.child({ component: 'registry-client' }), onRequest: metrics.observeRequest });
  return startPublisher(configs.publisher, logger, { cache, client, metrics });
}

// A leader that loses and regains the Lease starts the publisher again on the same
// registry, where its metrics are already registered: they are made once per registry.
const metricsByRegistry = new WeakMap<Registry, PublisherMetrics>();
function publisherMetricsFor(registry: Registry | undefined): PublisherMetrics {
  if (!registry) return createPublisherMetrics();
  let metrics = metricsByRegistry.get(registry);
  if (!metrics) metricsByRegistry.set(registry, (metrics = createPublisherMetrics(registry)));
  return metrics;
}

export function registerPublisherCommand(program: Command): void {
  const command = program.command('publisher').description('keep an MCP registry in sync with the exported MCP servers of the cluster');
  addLeaderElectionOptions(addPublisherOptions(command))
    .addOption(
      new Option('--port <port>', 'plain-HTTP port for /healthz, /readyz and /metrics')
        .env('MCP_REGISTRY_EXPORT_PORT')
        .argParser((value) => {
          const port = Number(value);
          if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('must be a port number from 0 to 65535');
          return port;
        })
        .default(DEFAULT_PUBLISHER_PORT),
    )
    .action(async (flags: PublisherFlags & LeaderFlags & { port: number }) => {
      const problem = validateLeaderFlags(flags);
      if (problem) throw new UsageError(problem);
      const configs = publisherConfigFrom(flags);
      const logger = createLogger({ level: flags.logLevel, name: 'publisher' });
      logInsecureRegistry(configs.registry, logger);
      const terminated = untilTerminated(logger);
      const cache = new ClusterCache({ kubeconfigPath: flags.kubeconfig, absentGraceMs: flags.holdGrace, logger: logger.child({ component: 'cluster-cache' }) });
      const metrics = new Registry();
      collectDefaultMetrics({ register: metrics, prefix: 'mcp_registry_export_' });
      let publisher: RunningPublisher | undefined;
      let elector: Elector | undefined;
      const probes = await startProbeServer({
        port: flags.port,
        // Without the Lease there is nothing to publish: synced caches are enough.
        isReady: () => (elector?.isLeader() ? (publisher?.isReady() ?? false) : cache.isSynced()),
        metrics,
      }).catch((error: Error) => {
        throw new UsageError(`cannot serve probes on port ${flags.port}: ${error.message}`);
      });
      logger.info({ port: probes.port }, 'serving /healthz, /readyz and /metrics');
      cache.start();
      const failed = deferred<Error>();
      elector = createElector(
        flags,
        () => cache.kubeConfig,
        logger,
        async () => {
          const started = await startPublisherProcess({ ...configs, publisher: { ...configs.publisher, mayWrite: () => elector?.isLeader() ?? false } }, logger, cache, metrics);
          publisher = started;
          return {
            async stop() {
              publisher = undefined;
              await started.stop();
            },
          };
        },
        failed.resolve,
      );
      const running = elector;
      registerRuntimeMetrics(metrics, { informers: () => cache.status(), isLeader: () => running.isLeader(), pendingChanges: () => publisher?.reconciler.pendingChanges });
      elector.start();
      const failure = await Promise.race([terminated.then(() => undefined), failed.promise]);
      // The cache stops first so a publisher still waiting for its first sync gives up at once.
      await Promise.all([elector.stop(), cache.stop()]);
      await probes.close();
      // A publisher that cannot start (caches never synced, no owner ID) ends the process.
      if (failure) throw new UsageError(`the publisher could not start: ${failure.message}`);
      logger.info('publisher stopped');
      process.exitCode = 0;
    });
}
