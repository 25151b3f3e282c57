// A watch on one object by name (fieldSelector metadata.name=...), kept alive by a
// Supervisor: when the watch ends or fails it is started again after back-off. Every start
// delivers the object's current state first, so a change made while no watch ran is seen.
// For controllers that re-read what they need on each event and only want the nudge.

import { Watch, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../observability/logger.ts';
import { errorMessage } from './api-requests.ts';
import { Supervisor } from './supervisor.ts';

export interface NamedObjectWatchOptions {
  kubeConfig: KubeConfig;
  /** Collection path, e.g. /api/v1/namespaces/ns/secrets. */
  collectionPath: string;
  name: string;
  onEvent: (type: string) => void;
  logger: Logger;
}

export function watchNamedObject(options: NamedObjectWatchOptions): { stop(): void } {
  const { kubeConfig, collectionPath, name, logger } = options;
  const supervisor = new Supervisor({
    backoff: { initialMs: 500, maxMs: 30_000 },
    // A healthy watch is still replaced now and then: a silently dead one cannot hide for long.
    refreshEveryMs: 5 * 60_000,
    onFailure: (error, retryInMs) => logger.debug({ path: collectionPath, name, error: errorMessage(error), retryInMs }, 'watch ended; starting it again'),
    start: async (run) => {
      const controller = await new Watch(kubeConfig).watch(
        collectionPath,
        { fieldSelector: `metadata.name=${name}` },
        (type) => {
          if (!run.signal.aborted && type !== 'BOOKMARK') options.onEvent(type);
        },
        (error: unknown) => run.fail(error ?? new Error('the watch ended')),
      );
      if (run.signal.aborted) controller.abort();
      else run.signal.addEventListener('abort', () => controller.abort(), { once: true });
    },
  });
  supervisor.start();
  return { stop: () => supervisor.stop() };
}
