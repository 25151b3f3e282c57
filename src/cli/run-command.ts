// `mcp-registry-export run`: the admission webhook and the publisher in one process, on one
// set of informer caches (cli.md "Long-running modes"). Every replica serves admission; with
// --leader-election on, only the Lease holder publishes and (self-managed) keeps the
// certificates. /healthz, /readyz and /metrics are served on the webhook's HTTPS port.
// Ready when the caches have synced: the publisher's progress never takes admission out of
// the Service (it has its own metric and log line).

import { type Command } from 'commander';
import { ClusterCache } from '../kubernetes/cluster-cache.ts';
import type { LeaderWork } from '../leader-election/elector.ts';
import { createLogger } from '../observability/logger.ts';
import { createAdmissionMetrics } from '../observability/metrics.ts';
import { registerRuntimeMetrics } from '../observability/runtime-metrics.ts';
import type { RunningPublisher } from '../publisher/publisher.ts';
import { addCertificateOptions, validateCertificateFlags, type CertificateFlags } from './certificate-options.ts';
import { addLeaderElectionOptions, createElector, validateLeaderFlags, type LeaderFlags } from './leader-options.ts';
import { referentialChecksOption, UsageError } from './options.ts';
import { addPublisherOptions, logInsecureRegistry, publisherConfigFrom, startPublisherProcess, type PublisherFlags } from './publisher-command.ts';
import {
  abortOn,
  certificateWork,
  clusterCacheContextProvider,
  deferred,
  drainFor,
  portOption,
  shutdownDelayOption,
  startWebhook,
  tlsOptions,
  untilTerminated,
} from './webhook-command.ts';

interface RunFlags extends PublisherFlags, LeaderFlags, CertificateFlags {
  port: number;
  shutdownDelay: number;
  tlsCert: string;
  tlsKey: string;
  referentialChecks: 'deny' | 'warn';
}

function abortedPromise(signal: AbortSignal): Promise<undefined> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(undefined);
    else signal.addEventListener('abort', () => resolve(undefined), { once: true });
  });
}

export function registerRunCommand(program: Command): void {
  const command = program.command('run').description('run the admission webhook and the publisher in one process, on one set of informer caches');
  addPublisherOptions(command).addOption(portOption()).addOption(shutdownDelayOption());
  tlsOptions(command).addOption(referentialChecksOption());
  addCertificateOptions(addLeaderElectionOptions(command)).action(async (flags: RunFlags) => {
    const problem = validateCertificateFlags(flags) ?? validateLeaderFlags(flags);
    if (problem) throw new UsageError(problem);
    const configs = publisherConfigFrom(flags);
    const logger = createLogger({ level: flags.logLevel, name: 'run' });
    logInsecureRegistry(configs.registry, logger);
    const hurry = new AbortController();
    const terminated = untilTerminated(logger, hurry);
    const cache = new ClusterCache({ kubeconfigPath: flags.kubeconfig, absentGraceMs: flags.holdGrace, logger: logger.child({ component: 'cluster-cache' }) });
    cache.start();
    // One /metrics for both halves: the webhook serves the registry the publisher adds to.
    const metrics = createAdmissionMetrics({ processMetrics: true });
    let publisher: RunningPublisher | undefined;

    // The leader's work: certificates at once (the webhooks wait for them), publishing once
    // the caches have synced.
    const certificates = certificateWork(flags, () => cache.kubeConfig, logger);
    const work: LeaderWork = async (signal) => {
      const certificateController = await certificates(signal);
      // Every write asks the elector first: a leader whose renewals fail stops writing at the
      // renew deadline even if the loop has not noticed yet.
      const gated = { ...configs, publisher: { ...configs.publisher, mayWrite: () => elector.isLeader() } };
      const starting = startPublisherProcess(gated, logger.child({ component: 'publisher' }), cache, metrics.registry);
      // Leadership may end (or the process stop) while the caches are still syncing: do not
      // wait for the start then; whatever starts late is stopped at once.
      const started = await Promise.race([starting, abortedPromise(signal)]).catch(async (error: unknown) => {
        await certificateController.stop();
        throw error;
      });
      if (started === undefined) {
        starting.then((late) => late.stop(), () => {});
        return certificateController;
      }
      publisher = started;
      return {
        async stop() {
          publisher = undefined;
          await Promise.all([started.stop(), certificateController.stop()]);
        },
      };
    };
    const failed = deferred<Error>();
    const elector = createElector(flags, () => cache.kubeConfig, logger, work, failed.resolve);
    elector.start();

    const webhook = await startWebhook(
      {
        port: flags.port,
        tlsCert: flags.tlsCert,
        tlsKey: flags.tlsKey,
        contract: { namePrefix: flags.namePrefix, referentialChecks: flags.referentialChecks, defaultNamespace: 'default' },
        logLevel: flags.logLevel,
        clusterLookups: 'on',
        kubeconfig: flags.kubeconfig,
        certificateWaitMs: flags.certificateWait,
      },
      logger.child({ component: 'webhook' }),
      {
        createContextProvider: (options) => clusterCacheContextProvider(cache, options),
        // Readiness is admission's: synced caches. The publisher's progress (a slow or
        // rate-limited registry during a failover) has its own metric and log line and never
        // takes the webhook endpoint out of the Service.
        isReady: () => cache.isSynced(),
        signal: abortOn(terminated),
        metrics,
      },
    ).catch(async (error: Error) => {
      await elector.stop();
      await cache.stop();
      throw new UsageError(error.message);
    });
    registerRuntimeMetrics(metrics.registry, {
      informers: () => cache.status(),
      isLeader: () => elector.isLeader(),
      pendingChanges: () => publisher?.reconciler.pendingChanges,
    });

    const ended = await Promise.race([terminated, failed.promise]);
    const failure = ended instanceof Error ? ended : undefined;
    // Admission drains (reviews answered while the endpoints catch up, then the ones in
    // flight) while the running pass's writes finish and the Lease is released: a standby
    // takes over publishing without waiting for the drain.
    await Promise.all([webhook.admission.shutdown(drainFor(ended, flags.shutdownDelay), hurry.signal), elector.stop()]);
    await cache.stop();
    if (failure) throw new UsageError(`the publisher could not start: ${failure.message}`);
    logger.info('stopped');
    process.exitCode = 0;
  });
}
