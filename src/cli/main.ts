#!/usr/bin/env node
// The `mcp-registry-export` command line: offline `validate` and `plan`, and the
// long-running modes. Exit codes: 0 success, 1 denied objects (validate), 2 usage or input.

import { Command, CommanderError } from 'commander';
import { ManifestError } from './manifests.ts';
import { UsageError } from './options.ts';
import { registerCertsCommand } from './certs-command.ts';
import { registerDiffCommand } from './diff-command.ts';
import { registerPlanCommand } from './plan-command.ts';
import { registerPublisherCommand } from './publisher-command.ts';
import { registerRunCommand } from './run-command.ts';
import { registerValidateCommand } from './validate-command.ts';
import { registerWebhookCommand } from './webhook-command.ts';

export function buildProgram(): Command {
  const program = new Command('mcp-registry-export')
    .description('Publish the MCP servers of a Kubernetes cluster to an MCP registry')
    .showHelpAfterError()
    .exitOverride();
  registerValidateCommand(program);
  registerPlanCommand(program);
  registerWebhookCommand(program);
  registerPublisherCommand(program);
  registerRunCommand(program);
  registerCertsCommand(program);
  registerDiffCommand(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return Number(process.exitCode ?? 0);
  } catch (error) {
    if (error instanceof CommanderError) {
      const clean = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help';
      return clean ? 0 : 2;
    }
    if (error instanceof ManifestError || error instanceof UsageError) {
      process.stderr.write(`error: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 2;
  }
}

process.exitCode = await main(process.argv.slice(2));
