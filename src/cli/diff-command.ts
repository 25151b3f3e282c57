// `mcp-registry-export diff`: the writes the publisher would make to a live registry, from
// manifests or a live cluster (cli.md). Reads only. Exit code 0 in sync, 3 when there are
// changes (or conflicts with other owners), 2 on errors, like `terraform plan -detailed-exitcode`.

import { Option, type Command } from 'commander';
import type { Conflict, DiffResult, Write } from '../diff/diff.ts';
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
import { addRegistryOptions, registryConfigFrom, type RegistryFlags } from './registry-options.ts';
import { errorMessage } from '../kubernetes/api-requests.ts';

export const DIFF_EXIT = { inSync: 0, error: 2, changes: 3 } as const;

interface DiffFlags extends RegistryFlags {
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

export function formatDiffText(diff: DiffResult): string {
  const lines: string[] = [];
  const width = 8;
  for (const write of diff.writes) lines.push(`${action(write).toUpperCase().padEnd(width)}${write.name}@${write.version}  (${write.reason})`);
  for (const conflict of diff.conflicts) lines.push(`${'CONFLICT'.padEnd(width)}${conflict.name}  (${conflict.reason})`);
  const verdict = diff.writes.length === 0 && diff.conflicts.length === 0 ? 'in sync' : 'changes';
  lines.push(`${diff.writes.length} write(s), ${diff.conflicts.length} conflict(s), ${diff.unchanged.length} unchanged: ${verdict}`);
  return `${lines.join('\n')}\n`;
}

export function diffJson(diff: DiffResult): unknown {
  return {
    writes: diff.writes.map((write) => ({ action: action(write), name: write.name, version: write.version, reason: write.reason, after: write.after })),
    conflicts: diff.conflicts.map((conflict: Conflict) => ({ name: conflict.name, owner: conflict.owner ?? null, reason: conflict.reason })),
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
  addRegistryOptions(command).action(async (flags: DiffFlags) => {
    const fromFiles = (flags.filename?.length ?? 0) > 0;
    if (fromFiles === (flags.kubeconfig !== undefined)) throw new UsageError('diff needs either -f PATH... (manifests) or --kubeconfig FILE (a live cluster)');
    const registry = registryConfigFrom(flags);
    const client = createRegistryClient(registry, { logger: silentLogger() });
    const planOptions = { namePrefix: flags.namePrefix, flavor: registry.flavor, defaultNamespace: flags.namespace };
    let result;
    try {
      if (fromFiles) {
        const objects = (await loadManifests(flags.filename!)).map((manifest) => manifest.object);
        const owner = flags.owner ?? ownerFromManifests(objects);
        if (!owner) throw new UsageError('diff from manifests needs --owner (or a kube-system Namespace with its uid among them)');
        result = await diffOnce(objects, { ...planOptions, owner }, client);
      } else {
        const cache = new ClusterCache({ kubeconfigPath: flags.kubeconfig });
        cache.start();
        try {
          await cache.waitForSync(120_000);
          const owner = flags.owner ?? clusterOwnerId(cache);
          result = await diffOnce(namespaceScopedLookups(cache, []), { ...planOptions, owner }, client);
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
    const { diff } = result;
    process.stdout.write(flags.output === 'json' ? `${JSON.stringify(diffJson(diff), null, 2)}\n` : formatDiffText(diff));
    process.exitCode = diff.writes.length === 0 && diff.conflicts.length === 0 ? DIFF_EXIT.inSync : DIFF_EXIT.changes;
  });
}
