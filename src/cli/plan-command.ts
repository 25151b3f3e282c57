// `mcp-registry-export plan`: the registry entries the input manifests would produce, by
// the planner of discovery.md run offline (cli.md). Exit 0 on success, even when
// everything is skipped; 2 on usage or input errors (main.ts maps those).

import { Option, type Command } from 'commander';
import type { KubeObject } from '../kubernetes/objects.ts';
import { DEFAULT_PLAN_OPTIONS, REGISTRY_FLAVORS, type PlanOptions, type RegistryFlavor } from '../planner/options.ts';
import { plan } from '../planner/plan.ts';
import type { PlanResult } from '../planner/result.ts';
import { loadManifests } from './manifests.ts';
import { filenameOption, namePrefixOption, namespaceOption, outputOption, UsageError } from './options.ts';

export function flavorOption(): Option {
  return new Option('--flavor <flavor>', 'registry whose rules the entries must satisfy (upstream: https-only, non-loopback remotes)')
    .choices([...REGISTRY_FLAVORS])
    .env('MCP_REGISTRY_EXPORT_FLAVOR')
    .default(DEFAULT_PLAN_OPTIONS.flavor);
}

/** The planner over manifest objects (pure; the command adds only reading and printing). */
export function planManifests(objects: readonly KubeObject[], options: Partial<PlanOptions>): PlanResult {
  return plan(objects, options);
}

export function formatPlanText(result: PlanResult): string {
  const lines: string[] = [];
  for (const entry of result.entries) {
    lines.push(`ENTRY   ${entry.name} ${entry.version}`);
    lines.push(`  description: ${entry.description}`);
    if (entry.title !== undefined) lines.push(`  title: ${entry.title}`);
    for (const remote of entry.remotes) lines.push(`  remote: ${remote.type} ${remote.url}`);
  }
  // Planned, but not published until one of its MCP resources is ready (publishing.md §4).
  for (const pending of result.pending) lines.push(`PENDING ${pending.name}: ${pending.reason}`);
  for (const skip of result.skipped) lines.push(`SKIPPED ${skip.kind} ${skip.namespace}/${skip.name}: ${skip.reason}`);
  for (const warning of result.warnings) lines.push(`WARNING ${warning.kind} ${warning.namespace}/${warning.name}: ${warning.message}`);
  lines.push(`${result.entries.length} entr${result.entries.length === 1 ? 'y' : 'ies'}, ${result.pending.length} pending, ${result.skipped.length} skipped, ${result.warnings.length} warning(s)`);
  return `${lines.join('\n')}\n`;
}

interface PlanFlags {
  filename?: string[];
  output: 'text' | 'json';
  namespace: string;
  namePrefix: string;
  flavor: RegistryFlavor;
}

export function registerPlanCommand(program: Command): void {
  program
    .command('plan')
    .description('show the registry entries the cluster objects would produce')
    .addOption(filenameOption())
    .addOption(outputOption())
    .addOption(namespaceOption())
    .addOption(namePrefixOption())
    .addOption(flavorOption())
    .action(async (flags: PlanFlags) => {
      if (!flags.filename?.length) throw new UsageError('plan needs at least one -f PATH (use - for stdin)');
      const manifests = await loadManifests(flags.filename);
      const result = planManifests(manifests.map((manifest) => manifest.object), {
        namePrefix: flags.namePrefix,
        flavor: flags.flavor,
        defaultNamespace: flags.namespace,
      });
      process.stdout.write(flags.output === 'json' ? `${JSON.stringify(result, null, 2)}\n` : formatPlanText(result));
      process.exitCode = 0;
    });
}
