// `mcp-registry-export run`: the admission webhook and the publisher in one process, on one
// set of informer caches (cli.md "Long-running modes"). /healthz, /readyz and /metrics are
// served by the webhook's HTTPS port; ready when the caches have synced and the
// publisher's first pass has finished.

import { Option, type Command } from 'commander';
import { ClusterCache } from '../kubernetes/cluster-cache.ts';
import { createLogger } from '../observability/logger.ts';
import type { RunningPublisher } from '../publisher/publisher.ts';
import { referentialChecksOption, UsageError } from './options.ts';
import { addPublisherOptions, publisherConfigFrom, startPublisherProcess, type PublisherFlags } from './publisher-command.ts';
import { clusterCacheContextProvider, DEFAULT_TLS_CERT, DEFAULT_TLS_KEY, portOption, startWebhook, untilTerminated } from './webhook-command.ts';

interface RunFlags extends PublisherFlags {
  port: number;
  tlsCert: string;
  tlsKey: string;
  referentialChecks: 'deny' | 'warn';
}

export function registerRunCommand(program: Command): void {
  const command = program.command('run').description('run the admission webhook and the publisher in one process, on one set of informer caches');
  addPublisherOptions(command)
    .addOption(portOption())
    .addOption(new Option('--tls-cert <file>', 'serving certificate (PEM); reloaded when it changes').env('MCP_REGISTRY_EXPORT_TLS_CERT').default(DEFAULT_TLS_CERT))
    .addOption(new Option('--tls-key <file>', 'private key of the serving certificate (PEM)').env('MCP_REGISTRY_EXPORT_TLS_KEY').default(DEFAULT_TLS_KEY))
    .addOption(referentialChecksOption())
    .action(async (flags: RunFlags) => {
      const configs = publisherConfigFrom(flags);
      const logger = createLogger({ level: flags.logLevel, name: 'run' });
      const terminated = untilTerminated(logger);
      const cache = new ClusterCache({ kubeconfigPath: flags.kubeconfig, logger: logger.child({ component: 'cluster-cache' }) });
      cache.start();
      let publisher: RunningPublisher | undefined;
      const webhook = await startWebhook(
        {
          port: flags.port,
          tlsCert: flags.tlsCert,
          tlsKey: flags.tlsKey,
          contract: { namePrefix: flags.namePrefix, referentialChecks: flags.referentialChecks, defaultNamespace: 'default' },
          logLevel: flags.logLevel,
          clusterLookups: 'on',
          kubeconfig: flags.kubeconfig,
        },
        logger.child({ component: 'webhook' }),
        {
          createContextProvider: (options) => clusterCacheContextProvider(cache, options),
          isReady: () => cache.isSynced() && (publisher?.isReady() ?? false),
        },
      ).catch(async (error: Error) => {
        await cache.stop();
        throw new UsageError(error.message);
      });
      const starting = startPublisherProcess(configs, logger.child({ component: 'publisher' }), cache, webhook.admission.metrics.registry);
      const first = await Promise.race([starting.then((p) => ({ p })), terminated.then(() => undefined)]).catch(async (error: Error) => {
        // A publisher that cannot start (caches never synced, no owner ID) ends the process.
        await Promise.all([webhook.admission.shutdown(), cache.stop()]);
        throw new UsageError(`the publisher could not start: ${error.message}`);
      });
      if (first === undefined) starting.then((p) => p.stop(), () => {});
      if (first !== undefined) {
        publisher = first.p;
        await terminated;
      }
      // Admission requests in flight and the running pass's writes finish first.
      await Promise.all([webhook.admission.shutdown(), publisher?.stop()]);
      await cache.stop();
      logger.info('stopped');
      process.exitCode = 0;
    });
}
