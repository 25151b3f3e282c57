// `mcp-registry-export validate`: lint manifests the way the admission webhook would
// (cli.md). Exit 0 when every object is allowed, 1 when one is denied, 2 on bad input.

import type { Command } from 'commander';
import { ObjectIndex } from '../cluster/object-index.ts';
import { judgeObject } from '../contract/judge.ts';
import { buildExportIndex } from '../contract/name-claims.ts';
import type { ContractContext, ContractOptions, Finding } from '../contract/types.ts';
import { namespaceOf } from '../kubernetes/objects.ts';
import { loadManifests, type ManifestObject } from './manifests.ts';
import { filenameOption, namePrefixOption, namespaceOption, outputOption, referentialChecksOption, UsageError } from './options.ts';

export interface ValidationResult {
  kind: string;
  apiVersion: string;
  namespace: string;
  name: string;
  allowed: boolean;
  errors: Finding[];
  warnings: Finding[];
  normalized: Record<string, string>;
}

/** Judge every registry-annotated object of the input against the others (pure). */
export function validateObjects(manifests: readonly ManifestObject[], options: ContractOptions): ValidationResult[] {
  const objects = manifests.map((manifest) => manifest.object);
  const lookups = new ObjectIndex(objects, options.defaultNamespace);
  const context: ContractContext = { lookups, exports: buildExportIndex(lookups, options), options };
  const results: ValidationResult[] = [];
  for (const object of objects) {
    const judgement = judgeObject(object, context);
    if (!judgement.applies) continue;
    results.push({
      kind: object.kind ?? '',
      apiVersion: object.apiVersion ?? '',
      namespace: namespaceOf(object, options.defaultNamespace),
      name: object.metadata?.name ?? '',
      allowed: judgement.errors.length === 0,
      errors: judgement.errors,
      warnings: judgement.warnings,
      normalized: judgement.normalized,
    });
  }
  return results;
}

export function formatValidationText(results: readonly ValidationResult[]): string {
  const lines: string[] = [];
  for (const result of results) {
    lines.push(`${result.allowed ? 'ALLOWED' : 'DENIED '} ${result.kind} ${result.namespace}/${result.name}`);
    for (const error of result.errors) lines.push(`  error:   ${error.message}`);
    for (const warning of result.warnings) lines.push(`  warning: ${warning.message}`);
    for (const [key, value] of Object.entries(result.normalized)) lines.push(`  normalized: ${key}=${JSON.stringify(value)}`);
  }
  const denied = results.filter((result) => !result.allowed).length;
  lines.push(`${results.length} registry-annotated object(s): ${results.length - denied} allowed, ${denied} denied`);
  return `${lines.join('\n')}\n`;
}

interface ValidateFlags {
  filename?: string[];
  output: 'text' | 'json';
  namespace: string;
  namePrefix: string;
  referentialChecks: 'deny' | 'warn';
}

export function registerValidateCommand(program: Command): void {
  program
    .command('validate')
    .description('lint manifests like the admission webhook would')
    .addOption(filenameOption())
    .addOption(outputOption())
    .addOption(namespaceOption())
    .addOption(namePrefixOption())
    .addOption(referentialChecksOption())
    .action(async (flags: ValidateFlags) => {
      if (!flags.filename?.length) throw new UsageError('validate needs at least one -f PATH (use - for stdin)');
      const manifests = await loadManifests(flags.filename);
      const results = validateObjects(manifests, {
        namePrefix: flags.namePrefix,
        referentialChecks: flags.referentialChecks,
        defaultNamespace: flags.namespace,
      });
      process.stdout.write(flags.output === 'json' ? `${JSON.stringify({ results }, null, 2)}\n` : formatValidationText(results));
      process.exitCode = results.every((result) => result.allowed) ? 0 : 1;
    });
}
