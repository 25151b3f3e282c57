// The publishing rules' flags (shared/spec/publishing.md, cli.md "Publishing rules"),
// shared by `publisher`, `run`, `diff` and `prune`, each with its MCP_REGISTRY_EXPORT_<FLAG>
// variable. The installation ID defaults to `<install namespace>/<lease name>`: one per
// Helm release, so two releases in one cluster keep their entries apart.

import { InvalidArgumentError, Option, type Command } from 'commander';
import { parseAdoptedOwner, type AdoptedOwner } from '../diff/identity.ts';
import { isPolicy, POLICIES, type Policy } from '../publishing-rules/index.ts';
import { PUBLISHING_DEFAULTS, type PublishingSettings } from '../publisher/publishing-settings.ts';
import { parseDuration } from './durations.ts';
import { installNamespaceOption, resolveInstallNamespace } from './install-namespace.ts';
import { DEFAULT_LEASE_NAME } from './leader-options.ts';
import { collect, commaList } from './options.ts';

export const DEFAULT_HOLD_GRACE = '10m';

export interface IdentityFlags {
  installation?: string;
  adoptOwner?: string[];
}

/** Where the default installation ID comes from (the leader-election flags). */
interface InstallFlags {
  installNamespace?: string | undefined;
  leaseName?: string | undefined;
}

export interface PublishingFlags extends IdentityFlags {
  holdGrace: number;
  policy: Policy;
  maxRetireFraction: number;
  allowMassRetire?: boolean;
}

function parseFraction(value: string): number {
  const fraction = Number(value);
  if (value.trim() === '' || !Number.isFinite(fraction) || fraction < 0 || fraction > 1) throw new InvalidArgumentError('must be a number from 0 to 1');
  return fraction;
}

function parsePolicy(value: string): Policy {
  if (!isPolicy(value)) throw new InvalidArgumentError(`must be one of ${POLICIES.join(', ')}`);
  return value;
}

/** `--installation` and `--adopt-owner` (also for diff and prune). */
export function addIdentityOptions(command: Command): Command {
  return command
    .addOption(new Option('--installation <id>', 'installation ID in the ownership record (default: <install namespace>/<lease name>)').env('MCP_REGISTRY_EXPORT_INSTALLATION'))
    .addOption(
      new Option('--adopt-owner <id[/installation]>', "treat entries of this owner (or of one installation of it) as ours, rewritten with our identity at their next change; repeatable")
        .argParser(collect)
        .env('MCP_REGISTRY_EXPORT_ADOPT_OWNER'),
    );
}

export function addPublishingOptions(command: Command): Command {
  return addIdentityOptions(command)
    .addOption(
      new Option('--hold-grace <duration>', 'hold an entry this long while its sources are uncertain (stale route status, a kind not known for certain, not ready) before applying the plan')
        .env('MCP_REGISTRY_EXPORT_HOLD_GRACE')
        .argParser(parseDuration)
        .default(PUBLISHING_DEFAULTS.holdGraceMs, DEFAULT_HOLD_GRACE),
    )
    .addOption(
      new Option('--policy <policy>', 'sync: every write; upsert-only: never retire a name; create-only: only publish new names')
        .env('MCP_REGISTRY_EXPORT_POLICY')
        .argParser(parsePolicy)
        .default(PUBLISHING_DEFAULTS.policy),
    )
    .addOption(
      new Option('--max-retire-fraction <fraction>', 'refuse a pass that would retire more than this fraction of the active names (when more than 5)')
        .env('MCP_REGISTRY_EXPORT_MAX_RETIRE_FRACTION')
        .argParser(parseFraction)
        .default(PUBLISHING_DEFAULTS.maxRetireFraction),
    )
    .addOption(new Option('--allow-mass-retire', 'let a pass retire more than --max-retire-fraction of the active names').env('MCP_REGISTRY_EXPORT_ALLOW_MASS_RETIRE'));
}

/**
 * `--install-namespace` and `--lease-name` for commands without leader election (diff,
 * prune): the parts of the default installation ID, so they find the publisher's entries.
 */
export function addInstallationSourceOptions(command: Command): Command {
  return command
    .addOption(installNamespaceOption())
    .addOption(new Option('--lease-name <name>', "the publisher's Lease name (part of the default installation ID)").env('MCP_REGISTRY_EXPORT_LEASE_NAME').default(DEFAULT_LEASE_NAME));
}

/** The installation ID: the flag, else `<install namespace>/<lease name>`. */
export function installationFrom(flags: IdentityFlags & InstallFlags): string {
  const explicit = flags.installation?.trim();
  if (explicit) return explicit;
  return `${resolveInstallNamespace(flags.installNamespace)}/${flags.leaseName || DEFAULT_LEASE_NAME}`;
}

/** `--adopt-owner` values; the variable may hold several, comma-separated. */
export function adoptedOwnersFrom(flags: IdentityFlags): AdoptedOwner[] {
  return commaList(flags.adoptOwner).map(parseAdoptedOwner);
}

/** The publishing rules' flags; the namespaces come with the publisher's own `--namespace`. */
export function publishingSettingsFrom(flags: PublishingFlags): Omit<PublishingSettings, 'namespaces'> {
  return {
    holdGraceMs: flags.holdGrace,
    policy: flags.policy,
    maxRetireFraction: flags.maxRetireFraction,
    allowMassRetire: flags.allowMassRetire === true,
    adopt: adoptedOwnersFrom(flags),
  };
}
