// One in-process publisher against a test control plane and a registry, as the publisher
// end-to-end files start it (cache + client + startPublisher), and the upstream registry
// read back with plain HTTP. Shared so each file says only what its case is about.
//
//   const one = await startInProcessPublisher({ cluster, registryUrl, tokenFile, owner: 'e2e' });
//   await one.stop();

import type { KubeConfig } from '@kubernetes/client-node';
import { ClusterCache, type ClusterCacheOptions } from '../../src/kubernetes/cluster-cache.ts';
import { Writable } from 'node:stream';
import { createLogger, silentLogger, type Logger } from '../../src/observability/logger.ts';
import type { PassReport } from '../../src/publisher/reconciler.ts';
import { startPublisher, type PublisherConfig, type RunningPublisher } from '../../src/publisher/publisher.ts';
import type { ObjectEvent } from '../../src/publisher/pass-events.ts';
import type { RegistryClient } from '../../src/registry/client.ts';
import { createRegistryClient } from '../../src/registry/index.ts';
import type { ControlPlane } from './control-plane.ts';
import { eventually } from './publisher-cluster.ts';

/** A logger at info whose JSON lines land in `lines` (a case prints them when it fails). */
export function loggerInto(lines: string[]): Logger {
  return createLogger({
    level: 'info',
    destination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    }),
  });
}

export interface InProcessPublisherOptions {
  cluster: ControlPlane;
  /** A kubeconfig other than the cluster's (e.g. one through a fault proxy). */
  kubeConfig?: KubeConfig;
  registryUrl: string;
  flavor?: 'upstream' | 'toolhive';
  /** Bearer token file; none: anonymous (ToolHive stand-in with auth off). */
  tokenFile?: string;
  owner?: string;
  /** Anything else of PublisherConfig (installation, rules, namespaces, resyncIntervalMs, ...). */
  config?: Partial<PublisherConfig>;
  cache?: Partial<ClusterCacheOptions>;
  /** A client of your own (e.g. through a fault proxy); default: one for registryUrl. */
  client?: RegistryClient;
  logger?: Logger;
}

export interface InProcessPublisher {
  publisher: RunningPublisher;
  cache: ClusterCache;
  /** Every pass so far. */
  passes: PassReport[];
  /** Every Event the passes raised (recorded in memory, not written). */
  events: ObjectEvent[];
  /** Registry requests: operation and outcome. */
  requests: { operation: string; outcome: string }[];
  /** Written outcomes of all passes so far. */
  written(): PassReport['outcomes'];
  /** The first pass from index `from` on that satisfies `match` (waits for it). */
  passWhere(from: number, match: (pass: PassReport) => boolean, what: string, timeoutMs?: number): Promise<PassReport>;
  stop(): Promise<void>;
}

export async function startInProcessPublisher(options: InProcessPublisherOptions): Promise<InProcessPublisher> {
  const cache = new ClusterCache({ ...(options.kubeConfig ? { kubeConfig: options.kubeConfig } : { kubeconfigPath: options.cluster.kubeconfigPath }), ...options.cache });
  cache.start();
  const passes: PassReport[] = [];
  const events: ObjectEvent[] = [];
  const requests: { operation: string; outcome: string }[] = [];
  const flavor = options.flavor ?? 'upstream';
  const auth = options.tokenFile ? { mode: 'token' as const, tokenFile: options.tokenFile } : { mode: 'none' as const };
  const client = options.client ?? createRegistryClient({ url: options.registryUrl, flavor, auth } as never, { onRequest: (operation, outcome) => requests.push({ operation, outcome }) });
  try {
    const publisher = await startPublisher(
      {
        owner: options.owner ?? 'e2e-cluster',
        namePrefix: 'com.toolhive.k8s.{namespace}',
        flavor,
        namespaces: [],
        resyncIntervalMs: 0,
        dryRun: false,
        debounceMs: 50,
        ...options.config,
      },
      options.logger ?? silentLogger(),
      { cache, client, onPass: (pass) => passes.push(pass), events: { record: (list) => void events.push(...list), stop: async () => {} } },
    );
    return {
      publisher,
      cache,
      passes,
      events,
      requests,
      written: () => passes.flatMap((pass) => pass.outcomes.filter((o) => o.result === 'written')),
      passWhere: (from, match, what, timeoutMs = 20_000) => eventually(async () => passes.slice(from).find(match), timeoutMs, what),
      async stop() {
        await publisher.stop();
        await cache.stop();
      },
    };
  } catch (error) {
    await cache.stop();
    throw error;
  }
}

/** A version as the upstream registry's v0.1 API answers it. */
export interface HeldVersion {
  server: { name: string; version: string; description: string; remotes: { url: string }[]; _meta?: Record<string, unknown> };
  _meta: { 'io.modelcontextprotocol.registry/official': { status: string; isLatest: boolean; statusMessage?: string } };
}

/** Plain-HTTP reads of an upstream registry, for assertions. */
export function upstreamReader(registryUrl: string) {
  const get = async (path: string): Promise<{ status: number; body: any }> => {
    const response = await fetch(`${registryUrl}${path}`);
    return { status: response.status, body: response.status === 200 ? await response.json() : await response.text() };
  };
  return {
    /** Every version of a name, deleted ones included. */
    async versionsOf(name: string): Promise<HeldVersion[]> {
      const { status, body } = await get(`/v0.1/servers/${encodeURIComponent(name)}/versions?include_deleted=true`);
      return status === 200 ? (body.servers as HeldVersion[]) : [];
    },
    async latest(name: string): Promise<HeldVersion | undefined> {
      const { status, body } = await get(`/v0.1/servers/${encodeURIComponent(name)}/versions/latest`);
      return status === 200 ? (body as HeldVersion) : undefined;
    },
    /** name@version:status of every version of the names, sorted: a compact picture to assert on. */
    async picture(...names: string[]): Promise<string[]> {
      const lines: string[] = [];
      for (const name of names) {
        for (const v of await this.versionsOf(name)) lines.push(`${name}@${v.server.version}:${v._meta['io.modelcontextprotocol.registry/official'].status}`);
      }
      return lines.sort();
    },
  };
}

export const statusOf = (version: HeldVersion): string => version._meta['io.modelcontextprotocol.registry/official'].status;
