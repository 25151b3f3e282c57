// `mcp-registry-export webhook`: the long-running admission webhook (cli.md "Long-running
// modes"). Flags fall back to environment variables so a Deployment can set either; the
// contract's look-ups come from informer caches of the cluster (in-cluster config or
// --kubeconfig / KUBECONFIG), or from an empty cluster with --cluster-lookups=off.

import type { KubeConfig } from '@kubernetes/client-node';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { createAdmissionServer, type AdmissionServer, type ContractContextProvider } from '../admission/server.ts';
import { waitForKeyPair } from '../admission/serving-certificate.ts';
import { EMPTY_CLUSTER } from '../cluster/lookups.ts';
import type { ContractOptions } from '../contract/types.ts';
import { ClusterCache, loadKubeConfig } from '../kubernetes/cluster-cache.ts';
import { exportIndexProvider } from '../kubernetes/export-index-cache.ts';
import { createLogger, LOG_LEVELS, type Logger } from '../observability/logger.ts';
import { createAdmissionMetrics, type AdmissionMetrics } from '../observability/metrics.ts';
import type { LeaderWork } from '../leader-election/elector.ts';
import { addCertificateOptions, certificateControllerFor, validateCertificateFlags, type CertificateFlags } from './certificate-options.ts';
import { parseDuration } from './durations.ts';
import { addLeaderElectionOptions, createElector, validateLeaderFlags, type LeaderFlags } from './leader-options.ts';
import { namePrefixOption, referentialChecksOption, UsageError } from './options.ts';

export const DEFAULT_WEBHOOK_PORT = 8443;
export const DEFAULT_TLS_CERT = '/etc/mcp-registry-export/tls/tls.crt';
export const DEFAULT_TLS_KEY = '/etc/mcp-registry-export/tls/tls.key';

export interface WebhookConfig {
  port: number;
  tlsCert: string;
  tlsKey: string;
  contract: ContractOptions;
  logLevel: (typeof LOG_LEVELS)[number];
  /** Answer the checks against other objects from informer caches (default) or an empty cluster. */
  clusterLookups: 'on' | 'off';
  /** Kubeconfig file; default: KUBECONFIG, ~/.kube/config, then the in-cluster service account. */
  kubeconfig?: string;
  /** Wait this long for the certificate files to appear (0: they must exist at start). */
  certificateWaitMs?: number;
}

export interface WebhookDependencies {
  /**
   * The source of the contract's look-ups. Called once at start; the provider it returns is
   * asked on every request, so it can answer from caches that keep changing.
   */
  createContextProvider?: (options: ContractOptions, logger: Logger) => ContractContextProvider | Promise<ContractContextProvider>;
  /** Extra readiness (e.g. caches synced) for /readyz. */
  isReady?: () => boolean;
  /** Aborts a wait for the certificate files (termination). */
  signal?: AbortSignal;
  /** The metrics /metrics serves; `run` makes them first, so the publisher can add its own. */
  metrics?: AdmissionMetrics;
}

/** No other objects are known: the checks against other objects can only warn. */
export function emptyClusterContextProvider(options: ContractOptions): ContractContextProvider {
  const context = { lookups: EMPTY_CLUSTER, options };
  return () => context;
}

/** Look-ups from informer caches; the export index is rebuilt once per cache change. */
export function clusterCacheContextProvider(cache: ClusterCache, options: ContractOptions): ContractContextProvider {
  const context = { lookups: cache, exports: exportIndexProvider(cache, options), options };
  return () => context;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidArgumentError('must be a port number from 1 to 65535');
  return port;
}

export function portOption(): Option {
  return new Option('--port <port>', 'HTTPS port for /validate, /mutate, /healthz, /readyz and /metrics')
    .env('MCP_REGISTRY_EXPORT_WEBHOOK_PORT')
    .argParser(parsePort)
    .default(DEFAULT_WEBHOOK_PORT);
}

export function logLevelOption(): Option {
  return new Option('--log-level <level>', 'log level of the JSON lines on stdout')
    .choices(LOG_LEVELS)
    .env('MCP_REGISTRY_EXPORT_LOG_LEVEL')
    .default('info');
}

export function shutdownDelayOption(): Option {
  return new Option(
    '--shutdown-delay <duration>',
    'after SIGTERM, keep answering reviews this long with /readyz failing, so the Service drops the pod before it stops listening (SIGINT skips it)',
  )
    .env('MCP_REGISTRY_EXPORT_SHUTDOWN_DELAY')
    .argParser((value) => {
      const ms = parseDuration(value);
      if (ms > 300_000) throw new InvalidArgumentError('must be at most 5m');
      return ms;
    })
    .default(0, '0s');
}

/**
 * How long to drain when the process ends: a terminal's SIGINT means a person waiting; the
 * kubelet's SIGTERM, and a failed start of the leader's work (the process exits while its
 * endpoint is still in the Service), drain for the delay while the endpoints catch up.
 */
export function drainFor(ended: NodeJS.Signals | Error, shutdownDelayMs: number): number {
  return ended === 'SIGINT' ? 0 : shutdownDelayMs;
}

export interface RunningWebhook {
  admission: AdmissionServer;
  /** Drains for `delayMs` (see AdmissionServer.shutdown; `hurry` cuts it short), stops serving, then the caches. */
  stop(delayMs?: number, hurry?: AbortSignal): Promise<void>;
}

/** Start serving; the caller decides when to stop. */
export async function startWebhook(config: WebhookConfig, logger: Logger, dependencies: WebhookDependencies = {}): Promise<RunningWebhook> {
  logger.info(
    {
      port: config.port,
      tlsCert: config.tlsCert,
      tlsKey: config.tlsKey,
      namePrefix: config.contract.namePrefix,
      referentialChecks: config.contract.referentialChecks,
      clusterLookups: config.clusterLookups,
    },
    'starting the admission webhook',
  );
  let cache: ClusterCache | undefined;
  let isReady = dependencies.isReady;
  let createProvider = dependencies.createContextProvider ?? emptyClusterContextProvider;
  if (!dependencies.createContextProvider && config.clusterLookups === 'on') {
    const started = new ClusterCache({ kubeconfigPath: config.kubeconfig, logger: logger.child({ component: 'cluster-cache' }) });
    started.start();
    cache = started;
    createProvider = (options) => clusterCacheContextProvider(started, options);
    // Not ready before the first full list: a verdict from half a cache would be wrong.
    isReady = () => started.isSynced() && (dependencies.isReady?.() ?? true);
  }
  let admission: AdmissionServer;
  try {
    if (config.certificateWaitMs) {
      await waitForKeyPair(
        { certFile: config.tlsCert, keyFile: config.tlsKey },
        config.certificateWaitMs,
        (reason) => logger.info({ reason, waitMs: config.certificateWaitMs }, 'waiting for the serving certificate files'),
        dependencies.signal,
      );
    }
    const contextProvider = await createProvider(config.contract, logger);
    admission = await createAdmissionServer({
      port: config.port,
      certFile: config.tlsCert,
      keyFile: config.tlsKey,
      contextProvider,
      logger,
      metrics: dependencies.metrics ?? createAdmissionMetrics({ processMetrics: true }),
      isReady,
    });
    await admission.listen();
  } catch (error) {
    await cache?.stop(); // its watches and timers would keep a failed start alive
    throw error;
  }
  return {
    admission,
    async stop(delayMs, hurry) {
      await admission.shutdown(delayMs, hurry);
      await cache?.stop();
    },
  };
}

/**
 * Resolves on the first SIGTERM (kubelet) or SIGINT (a terminal). Without `hurry`, a second
 * signal gets Node's default (the process dies at once). With it, the handlers stay: a later
 * signal aborts `hurry`, which cuts a drain short while the reviews in flight still finish
 * (a second SIGTERM during a drain must not drop them, nor leave the Lease held).
 */
export function untilTerminated(logger: Logger, hurry?: AbortController): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let first = true;
    const onSignal = (signal: NodeJS.Signals) => {
      if (!first) {
        logger.info({ signal }, 'termination requested again; no more waiting for the endpoints');
        hurry?.abort();
        return;
      }
      first = false;
      if (!hurry) {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
      }
      logger.info({ signal }, 'termination requested');
      resolve(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

interface WebhookFlags extends LeaderFlags, CertificateFlags {
  port: number;
  shutdownDelay: number;
  tlsCert: string;
  tlsKey: string;
  namePrefix: string;
  referentialChecks: 'deny' | 'warn';
  logLevel: WebhookConfig['logLevel'];
  clusterLookups: 'on' | 'off';
  kubeconfig?: string;
}

export function tlsOptions(command: Command): Command {
  return command
    .addOption(new Option('--tls-cert <file>', 'serving certificate (PEM); reloaded when it changes').env('MCP_REGISTRY_EXPORT_TLS_CERT').default(DEFAULT_TLS_CERT))
    .addOption(new Option('--tls-key <file>', 'private key of the serving certificate (PEM)').env('MCP_REGISTRY_EXPORT_TLS_KEY').default(DEFAULT_TLS_KEY));
}

/** Aborted on the first SIGTERM/SIGINT, for waits that must not outlive the process. */
export function abortOn(terminated: Promise<unknown>): AbortSignal {
  const controller = new AbortController();
  void terminated.then(() => controller.abort());
  return controller.signal;
}

export function registerWebhookCommand(program: Command, dependencies: WebhookDependencies = {}): void {
  const command = program
    .command('webhook')
    .description('serve the validating and mutating admission webhooks over HTTPS')
    .addOption(portOption())
    .addOption(shutdownDelayOption());
  tlsOptions(command)
    .addOption(namePrefixOption())
    .addOption(referentialChecksOption())
    .addOption(logLevelOption())
    .addOption(
      new Option('--cluster-lookups <mode>', 'answer the checks against other objects (Gateways, Namespaces, ...) from informer caches, or from an empty cluster')
        .choices(['on', 'off'])
        .env('MCP_REGISTRY_EXPORT_CLUSTER_LOOKUPS')
        .default('on'),
    )
    .addOption(new Option('--kubeconfig <file>', 'kubeconfig file (default: KUBECONFIG, ~/.kube/config, then in-cluster)'));
  addCertificateOptions(addLeaderElectionOptions(command)).action(async (flags: WebhookFlags) => {
    const problem = validateCertificateFlags(flags) ?? validateLeaderFlags(flags);
    if (problem) throw new UsageError(problem);
    const config: WebhookConfig = {
      port: flags.port,
      tlsCert: flags.tlsCert,
      tlsKey: flags.tlsKey,
      contract: { namePrefix: flags.namePrefix, referentialChecks: flags.referentialChecks, defaultNamespace: 'default' },
      logLevel: flags.logLevel,
      clusterLookups: flags.clusterLookups,
      kubeconfig: flags.kubeconfig,
      certificateWaitMs: flags.certificateWait,
    };
    const logger = createLogger({ level: config.logLevel, name: 'webhook' });
    const hurry = new AbortController();
    const terminated = untilTerminated(logger, hurry);
    // Only the certificate controller needs a leader here; in external mode nobody leads.
    const failed = deferred<Error>();
    // Loaded on first use (the elector and the controller share it), not in external mode.
    let loaded: KubeConfig | undefined;
    const kubeConfig = () => (loaded ??= loadKubeConfig(flags.kubeconfig));
    const elector = flags.certificateMode === 'self-managed' ? createElector(flags, kubeConfig, logger, certificateWork(flags, kubeConfig, logger), failed.resolve) : undefined;
    elector?.start();
    // Start-up failures are configuration problems (certificate files, port): exit 2 with the sentence.
    const webhook = await startWebhook(config, logger, { ...dependencies, signal: abortOn(terminated) }).catch(async (error: Error) => {
      await elector?.stop();
      throw new UsageError(error.message);
    });
    const ended = await Promise.race([terminated, failed.promise]);
    const failure = ended instanceof Error ? ended : undefined;
    await Promise.all([webhook.stop(drainFor(ended, flags.shutdownDelay), hurry.signal), elector?.stop()]);
    if (failure) throw new UsageError(`the leader's work could not start: ${failure.message}`);
    process.exitCode = 0;
  });
}

/** The leader's share of `webhook` (and of `run`): the certificate controller, when self-managed. */
export function certificateWork(flags: CertificateFlags, kubeConfig: () => KubeConfig, logger: Logger): LeaderWork {
  return async () => {
    const controller = certificateControllerFor(flags, kubeConfig(), logger);
    controller?.start();
    return { stop: async () => controller?.stop() };
  };
}

export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

