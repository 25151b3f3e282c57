// `mcp-registry-export prune` (publishing.md §6): retire every entry this installation
// holds in the registry. The chart runs it as an optional pre-delete hook
// (`cleanupOnUninstall`). Prints each write; exit 0 when done, 2 on errors.

import { Option, type Command } from 'commander';
import { getJson, errorMessage } from '../kubernetes/api-requests.ts';
import { loadKubeConfig } from '../kubernetes/cluster-cache.ts';
import { prune, type PruneResult } from '../publisher/prune.ts';
import { createRegistryClient } from '../registry/index.ts';
import { silentLogger } from '../observability/logger.ts';
import { collect, commaList, namePrefixOption, outputOption } from './options.ts';
import { addIdentityOptions, addInstallationSourceOptions, adoptedOwnersFrom, installationFrom, type IdentityFlags } from './publishing-options.ts';
import { addRegistryOptions, insecureRegistryWarning, registryConfigFrom, type RegistryFlags } from './registry-options.ts';

interface PruneFlags extends RegistryFlags, IdentityFlags {
  owner?: string;
  namePrefix: string;
  namespace?: string[];
  dryRun?: boolean;
  output: 'text' | 'json';
  kubeconfig?: string;
  installNamespace?: string;
  leaseName: string;
}

function formatText(result: PruneResult, dryRun: boolean): string {
  const lines: string[] = [];
  const outcomes = new Map(result.outcomes.map((o) => [o.write, o]));
  for (const write of result.writes) {
    const outcome = outcomes.get(write);
    const state = dryRun ? 'would retire' : outcome?.result === 'written' ? 'retired' : outcome?.result === 'failed' ? `failed: ${outcome.error.message}` : 'not tried';
    lines.push(`RETIRE     ${write.name}@${write.version}  (${state})`);
  }
  const failed = result.outcomes.filter((o) => o.result !== 'written').length;
  lines.push(`${result.writes.length} version(s) ${dryRun ? 'to retire (dry run)' : `retired, ${failed} failed`}`);
  return `${lines.join('\n')}\n`;
}

function formatJson(result: PruneResult, dryRun: boolean): string {
  const outcomes = new Map(result.outcomes.map((o) => [o.write, o]));
  const writes = result.writes.map((write) => {
    const outcome = outcomes.get(write);
    return {
      action: 'retire',
      name: write.name,
      version: write.version,
      result: dryRun ? 'dry-run' : (outcome?.result ?? 'not tried'),
      ...(outcome?.result === 'failed' ? { error: outcome.error.message } : {}),
    };
  });
  return `${JSON.stringify({ dryRun, writes }, null, 2)}\n`;
}

/** The default owner ID: the kube-system Namespace's UID, read once. */
async function clusterOwner(kubeconfig: string | undefined): Promise<string> {
  const namespace = await getJson<{ metadata?: { uid?: string } }>(loadKubeConfig(kubeconfig), '/api/v1/namespaces/kube-system', { timeoutMs: 30_000 });
  const uid = namespace.metadata?.uid;
  if (!uid) throw new Error('the kube-system Namespace has no uid; pass --owner');
  return uid;
}

export function registerPruneCommand(program: Command): void {
  const command = program
    .command('prune')
    .description("retire every registry entry this installation owns (before an uninstall); exit 0 done, 2 errors")
    .addOption(new Option('--owner <id>', 'owner ID (default: the UID of the kube-system Namespace)').env('MCP_REGISTRY_EXPORT_OWNER'))
    .addOption(namePrefixOption())
    .addOption(new Option('--namespace <namespace>', 'only the entries exported from this namespace; repeatable (default: all of this installation\'s)').argParser(collect).env('MCP_REGISTRY_EXPORT_NAMESPACE'))
    .addOption(new Option('--dry-run', 'print the retires, write nothing').env('MCP_REGISTRY_EXPORT_DRY_RUN'))
    .addOption(outputOption())
    .addOption(new Option('--kubeconfig <file>', 'kubeconfig file, for the default owner ID (default: KUBECONFIG, ~/.kube/config, then in-cluster)'));
  addInstallationSourceOptions(command);
  addIdentityOptions(addRegistryOptions(command)).action(async (flags: PruneFlags) => {
    const registry = registryConfigFrom(flags);
    const insecure = insecureRegistryWarning(registry);
    if (insecure) process.stderr.write(`warning: ${insecure}\n`);
    const dryRun = flags.dryRun === true;
    const namespaces = commaList(flags.namespace);
    let result: PruneResult;
    try {
      const owner = flags.owner ?? (await clusterOwner(flags.kubeconfig));
      const client = createRegistryClient(registry, { logger: silentLogger() });
      const identity = { owner, installation: installationFrom(flags), adopt: adoptedOwnersFrom(flags) };
      result = await prune(client, { identity, namePrefix: flags.namePrefix, namespaces, dryRun });
    } catch (error) {
      process.stderr.write(`error: ${errorMessage(error)}\n`);
      process.exitCode = 2;
      return;
    }
    process.stdout.write(flags.output === 'json' ? formatJson(result, dryRun) : formatText(result, dryRun));
    process.exitCode = result.outcomes.some((o) => o.result !== 'written') ? 2 : 0;
  });
}
