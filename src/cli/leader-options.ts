// --leader-election, --lease-name, --leader-election-namespace (cli.md "publisher (and
// run)"), shared by `webhook`, `publisher` and `run`: the leader publishes and manages the
// certificates; the other replicas keep warm caches and serve admission.

import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { KubeConfig } from '@kubernetes/client-node';
import { DEFAULT_LEADER_ELECTION_TIMING, LeaderElector, SoleLeader, type Elector, type LeaderWork } from '../leader-election/elector.ts';
import { parseDuration } from './durations.ts';
import type { Logger } from '../observability/logger.ts';
import { installNamespaceOption, resolveInstallNamespace } from './install-namespace.ts';

export const DEFAULT_LEASE_NAME = 'mcp-registry-export';

export interface LeaderFlags {
  leaderElection: 'on' | 'off';
  leaseName: string;
  leaderElectionNamespace?: string;
  installNamespace?: string;
  leaseDuration: number;
  renewDeadline: number;
  retryPeriod: number;
}

const positiveDuration = (value: string) => {
  const ms = parseDuration(value);
  if (ms < 100) throw new InvalidArgumentError('must be at least 100ms');
  return ms;
};

export function addLeaderElectionOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--leader-election <mode>', 'elect one leader among the replicas through a Lease (only the leader writes); off: this process is the only one')
        .choices(['on', 'off'])
        .env('MCP_REGISTRY_EXPORT_LEADER_ELECTION')
        .default('off'),
    )
    .addOption(new Option('--lease-name <name>', 'name of the coordination.k8s.io Lease').env('MCP_REGISTRY_EXPORT_LEASE_NAME').default(DEFAULT_LEASE_NAME))
    .addOption(new Option('--leader-election-namespace <namespace>', 'namespace of the Lease (default: the install namespace)').env('MCP_REGISTRY_EXPORT_LEADER_ELECTION_NAMESPACE'))
    .addOption(installNamespaceOption())
    .addOption(
      new Option('--lease-duration <duration>', 'how long followers wait after the last renewal they saw before taking over')
        .env('MCP_REGISTRY_EXPORT_LEASE_DURATION')
        .argParser(positiveDuration)
        .default(DEFAULT_LEADER_ELECTION_TIMING.leaseDurationMs, '15s'),
    )
    .addOption(
      new Option('--renew-deadline <duration>', 'the leader stops leading when it could not renew for this long (shorter than --lease-duration)')
        .env('MCP_REGISTRY_EXPORT_RENEW_DEADLINE')
        .argParser(positiveDuration)
        .default(DEFAULT_LEADER_ELECTION_TIMING.renewDeadlineMs, '10s'),
    )
    .addOption(
      new Option('--retry-period <duration>', 'how often candidates try and the leader renews')
        .env('MCP_REGISTRY_EXPORT_RETRY_PERIOD')
        .argParser(positiveDuration)
        .default(DEFAULT_LEADER_ELECTION_TIMING.retryPeriodMs, '2s'),
    );
}

export function validateLeaderFlags(flags: LeaderFlags): string | undefined {
  if (flags.leaderElection === 'off') return undefined;
  if (flags.renewDeadline >= flags.leaseDuration) return '--renew-deadline must be shorter than --lease-duration';
  if (flags.retryPeriod >= flags.renewDeadline) return '--retry-period must be shorter than --renew-deadline';
  return undefined;
}

/** The pod name when there is one (the Lease shows who leads), plus a suffix unique to this process. */
function identity(): string {
  return `${process.env['POD_NAME'] || hostname()}_${randomBytes(4).toString('hex')}`;
}

export function createElector(flags: LeaderFlags, kubeConfig: () => KubeConfig, logger: Logger, work: LeaderWork, onWorkFailed: (error: Error) => void): Elector {
  if (flags.leaderElection === 'off') return new SoleLeader(work, logger, onWorkFailed);
  return new LeaderElector({
    kubeConfig: kubeConfig(),
    namespace: flags.leaderElectionNamespace || resolveInstallNamespace(flags.installNamespace),
    name: flags.leaseName,
    identity: identity(),
    timing: { leaseDurationMs: flags.leaseDuration, renewDeadlineMs: flags.renewDeadline, retryPeriodMs: flags.retryPeriod },
    logger: logger.child({ component: 'leader-election' }),
    work,
    onWorkFailed,
  });
}
