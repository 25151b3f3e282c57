// `mcp-registry-export diff`: the writes the publisher would make to a live registry, from
// manifests or a live cluster (cli.md). Reads only. Exit code 0 in sync, 3 when there are
// changes (or conflicts with other owners), 2 on errors, like `terraform plan -detailed-exitcode`.
// The publishing rules apply as in the publisher (publishing.md): a held name is a `HOLD`
// line, a write the policy, the namespace scope or the retire guard keeps back a `KEEP`
// line, a name not ready a `PENDING` line; none of them is a change the publisher would
// make now, so none of them sets the exit code.

import { Option, type Command } from 'commander';
import type { Conflict, Write } from '../diff/diff.ts';
import type { RulesResult } from '../publishing-rules/index.ts';
import type { DiffOnce } from '../publisher/diff-once.ts';
import { addInstallationSourceOptions, addPublishingOptions, installationFrom, publishingSettingsFrom, type PublishingFlags } from './publishing-options.ts';
import { ClusterCache } from '../kubernetes/cluster-cache.ts';
import type { KubeObject } from '../kubernetes/objects.ts';
import { silentLogger } from '../observability/logger.ts';
import { diffOnce } from '../publisher/diff-once.ts';
import { clusterOwnerId } from '../publisher/owner.ts';
import { namespaceScopedLookups } from '../publisher/scoped-lookups.ts';
import { ObjectIndex } from '../cluster/object-index.ts';
import { createRegistryClient } from '../registry/index.ts';
import { loadManifests, ManifestError } from './manifests.ts';
import { filenameOption, namePrefixOption, namespaceOption, outputOption, UsageError } from './options.ts';
import { addRegistryOptions, insecureRegistryWarning, registryConfigFrom, type RegistryFlags } from './registry-options.ts';
import { errorMessage } from '../kubernetes/api-requests.ts';

export const DIFF_EXIT = { inSync: 0, error: 2, changes: 3 } as const;

interface DiffFlags extends RegistryFlags, PublishingFlags {
  installNamespace?: string;
  leaseName?: string;
  filename?: string[];
  kubeconfig?: string;
  owner?: string;
  namePrefix: string;
  namespace: string;
  output: 'text' | 'json';
}

function action(write: Write): string {
  return write.kind;
}

/** The first column: wide enough for the longest word and a space (`DEPRECATE`, `CONFLICT`). */
const COLUMN = 11;

function line(word: string, rest: string): string {
  return `${word.padEnd(COLUMN - 1)} ${rest}`;
}

/** Changes the publisher would make now: its writes and the conflicts it would report. */
export function hasChanges({ diff, rules }: Pick<DiffOnce, 'diff' | 'rules'>): boolean {
  return rules.writes.length > 0 || diff.conflicts.length > 0;
}

export function formatDiffText({ diff, rules }: Pick<DiffOnce, 'diff' | 'rules'>): string {
  const lines: string[] = [];
  for (const write of rules.writes) lines.push(line(action(write).toUpperCase(), `${write.name}@${write.version}  (${write.reason})`));
  for (const conflict of diff.conflicts) lines.push(line('CONFLICT', `${conflict.name}  (${conflict.reason})`));
  for (const hold of activeHolds(rules)) lines.push(line('HOLD', `${hold.name}  (${hold.reason})`));
  for (const pending of rules.notPublished) lines.push(line('PENDING', `${pending.name}  (${pending.reason})`));
  for (const kept of keptBack(rules)) lines.push(line('KEEP', `${kept.write.kind} ${kept.write.name}@${kept.write.version}  (${kept.reason})`));
  const verdict = hasChanges({ diff, rules }) ? 'changes' : 'in sync';
  const held = activeHolds(rules).length;
  lines.push(`${rules.writes.length} write(s), ${diff.conflicts.length} conflict(s), ${held} held, ${diff.unchanged.length} unchanged: ${verdict}`);
  return `${lines.join('\n')}\n`;
}

function activeHolds(rules: RulesResult): RulesResult['holds'] {
  return rules.holds.filter((hold) => !hold.expired);
}

/** Writes kept back by a rule other than a hold or readiness (those have their own lines). */
function keptBack(rules: RulesResult): RulesResult['withheld'] {
  return rules.withheld.filter((w) => w.rule !== 'hold' && w.rule !== 'not ready');
}

export function diffJson({ diff, rules }: Pick<DiffOnce, 'diff' | 'rules'>): unknown {
  return {
    writes: rules.writes.map((write) => ({ action: action(write), name: write.name, version: write.version, reason: write.reason, after: write.after })),
    conflicts: diff.conflicts.map((conflict: Conflict) => ({ name: conflict.name, owner: conflict.owner ?? null, reason: conflict.reason })),
    holds: activeHolds(rules).map((hold) => ({ name: hold.name, category: hold.category, reason: hold.reason })),
    pending: rules.notPublished,
    kept: keptBack(rules).map((kept) => ({ action: action(kept.write), name: kept.write.name, version: kept.write.version, rule: kept.rule, reason: kept.reason })),
    unchanged: diff.unchanged,
  };
}

function ownerFromManifests(objects: readonly KubeObject[]): string | undefined {
  return new ObjectIndex(objects, 'default').get('Namespace', '', 'kube-system')?.metadata?.uid;
}

export function registerDiffCommand(program: Command): void {
  const command = program
    .command('diff')
    .description('show the writes the publisher would make to a registry (reads only; exit 0 in sync, 3 changes, 2 errors)')
    .addOption(filenameOption())
    .addOption(new Option('--kubeconfig <file>', 'plan from this live cluster instead of manifests'))
    .addOption(new Option('--owner <id>', 'owner ID (default: the UID of the kube-system Namespace)').env('MCP_REGISTRY_EXPORT_OWNER'))
    .addOption(namePrefixOption())
    .addOption(namespaceOption())
    .addOption(outputOption());
  addInstallationSourceOptions(command);
  addPublishingOptions(addRegistryOptions(command)).action(async (flags: DiffFlags) => {
    const fromFiles = (flags.filename?.length ?? 0) > 0;
    if (fromFiles === (flags.kubeconfig !== undefined)) throw new UsageError('diff needs either -f PATH... (manifests) or --kubeconfig FILE (a live cluster)');
    const registry = registryConfigFrom(flags);
    const insecure = insecureRegistryWarning(registry);
    if (insecure) process.stderr.write(`warning: ${insecure}\n`);
    const client = createRegistryClient(registry, { logger: silentLogger() });
    const planOptions = { namePrefix: flags.namePrefix, flavor: registry.flavor, defaultNamespace: flags.namespace, installation: installationFrom(flags) };
    const rules = publishingSettingsFrom(flags);
    let result;
    try {
      if (fromFiles) {
        const objects = (await loadManifests(flags.filename!)).map((manifest) => manifest.object);
        const owner = flags.owner ?? ownerFromManifests(objects);
        if (!owner) throw new UsageError('diff from manifests needs --owner (or a kube-system Namespace with its uid among them)');
        result = await diffOnce(objects, { ...planOptions, owner }, client, { rules });
      } else {
        const cache = new ClusterCache({ kubeconfigPath: flags.kubeconfig });
        cache.start();
        try {
          await cache.waitForSync(120_000);
          const owner = flags.owner ?? clusterOwnerId(cache);
          result = await diffOnce(namespaceScopedLookups(cache, []), { ...planOptions, owner }, client, { rules, uncertainKinds: cache.uncertainKinds() });
        } finally {
          await cache.stop();
        }
      }
    } catch (error) {
      // Bad input is main.ts's to report (one line, exit 2, the trace with --debug).
      if (error instanceof UsageError || error instanceof ManifestError) throw error;
      process.stderr.write(`error: ${errorMessage(error)}\n`);
      process.exitCode = DIFF_EXIT.error;
      return;
    }
    process.stdout.write(flags.output === 'json' ? `${JSON.stringify(diffJson(result), null, 2)}\n` : formatDiffText(result));
    process.exitCode = hasChanges(result) ? DIFF_EXIT.changes : DIFF_EXIT.inSync;
  });
}
