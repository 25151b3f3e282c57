// `mcp-registry-export webhook`: the long-running admission webhook (cli.md "Long-running
// modes"). Flags fall back to environment variables so a Deployment can set either; the
// contract's look-ups come from a pluggable provider (an empty cluster until the informer
// caches are wired in).

import { InvalidArgumentError, Option, type Command } from 'commander';
import { createAdmissionServer, type AdmissionServer, type ContractContextProvider } from '../admission/server.ts';
import { EMPTY_CLUSTER } from '../cluster/lookups.ts';
import type { ContractOptions } from '../contract/types.ts';
import { createLogger, LOG_LEVELS, type Logger } from '../observability/logger.ts';
import { createAdmissionMetrics } from '../observability/metrics.ts';
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
}

export interface WebhookDependencies {
  /**
   * The source of the contract's look-ups. Called once at start; the provider it returns is
   * asked on every request, so it can answer from caches that keep changing.
   */
  createContextProvider?: (options: ContractOptions, logger: Logger) => ContractContextProvider | Promise<ContractContextProvider>;
  /** Extra readiness (e.g. caches synced) for /readyz. */
  isReady?: () => boolean;
}

/** Today's provider: no other objects are known, so referential checks only warn. */
export function emptyClusterContextProvider(options: ContractOptions): ContractContextProvider {
  const context = { lookups: EMPTY_CLUSTER, options };
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

/** Start serving; the caller decides when to shut down. */
export async function startWebhook(config: WebhookConfig, logger: Logger, dependencies: WebhookDependencies = {}): Promise<AdmissionServer> {
  const createProvider = dependencies.createContextProvider ?? emptyClusterContextProvider;
  const contextProvider = await createProvider(config.contract, logger);
  const admission = await createAdmissionServer({
    port: config.port,
    certFile: config.tlsCert,
    keyFile: config.tlsKey,
    contextProvider,
    logger,
    metrics: createAdmissionMetrics({ processMetrics: true }),
    isReady: dependencies.isReady,
  });
  await admission.listen();
  return admission;
}

/** Resolves on the first SIGTERM (kubelet) or SIGINT (a terminal). */
export function untilTerminated(logger: Logger): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      logger.info({ signal }, 'termination requested');
      resolve(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

interface WebhookFlags {
  port: number;
  tlsCert: string;
  tlsKey: string;
  namePrefix: string;
  referentialChecks: 'deny' | 'warn';
  logLevel: WebhookConfig['logLevel'];
}

export function registerWebhookCommand(program: Command, dependencies: WebhookDependencies = {}): void {
  program
    .command('webhook')
    .description('serve the validating and mutating admission webhooks over HTTPS')
    .addOption(portOption())
    .addOption(new Option('--tls-cert <file>', 'serving certificate (PEM); reloaded when it changes').env('MCP_REGISTRY_EXPORT_TLS_CERT').default(DEFAULT_TLS_CERT))
    .addOption(new Option('--tls-key <file>', 'private key of the serving certificate (PEM)').env('MCP_REGISTRY_EXPORT_TLS_KEY').default(DEFAULT_TLS_KEY))
    .addOption(namePrefixOption())
    .addOption(referentialChecksOption())
    .addOption(logLevelOption())
    .action(async (flags: WebhookFlags) => {
      const config: WebhookConfig = {
        port: flags.port,
        tlsCert: flags.tlsCert,
        tlsKey: flags.tlsKey,
        contract: { namePrefix: flags.namePrefix, referentialChecks: flags.referentialChecks, defaultNamespace: 'default' },
        logLevel: flags.logLevel,
      };
      const logger = createLogger({ level: config.logLevel, name: 'webhook' });
      const terminated = untilTerminated(logger);
      // Start-up failures are configuration problems (certificate files, port): exit 2 with the sentence.
      const admission = await startWebhook(config, logger, dependencies).catch((error: Error) => {
        throw new UsageError(error.message);
      });
      await terminated;
      await admission.shutdown();
      process.exitCode = 0;
    });
}
