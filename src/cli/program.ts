// The `mcp-registry-export` command line: offline `validate`, `plan` and `diff`, `certs`,
// and the long-running modes. Exit codes: 0 success, 1 denied objects (validate), 2 usage
// or input errors. Loaded by main.ts once it has checked the Node.js version.
//
// Every failure is one line on stderr; `--debug` (or DEBUG=mcp-registry-export, or
// MCP_REGISTRY_EXPORT_DEBUG=1) adds the stack trace and its causes.

import { Command, CommanderError, Option } from 'commander';
import { ManifestError } from './manifests.ts';
import { readSwitchesFromEnvironment, UsageError } from './options.ts';
import { registerCertsCommand } from './certs-command.ts';
import { registerDiffCommand } from './diff-command.ts';
import { registerPlanCommand } from './plan-command.ts';
import { registerPruneCommand } from './prune-command.ts';
import { registerPublisherCommand } from './publisher-command.ts';
import { registerRunCommand } from './run-command.ts';
import { registerValidateCommand } from './validate-command.ts';
import { registerWebhookCommand } from './webhook-command.ts';

export function buildProgram(): Command {
  const program = new Command('mcp-registry-export')
    .description('Publish the MCP servers of a Kubernetes cluster to an MCP registry')
    .addOption(new Option('--debug', 'on errors, print the stack trace as well (also DEBUG=mcp-registry-export)'))
    .showHelpAfterError()
    .exitOverride();
  registerValidateCommand(program);
  registerPlanCommand(program);
  registerWebhookCommand(program);
  registerPublisherCommand(program);
  registerRunCommand(program);
  registerCertsCommand(program);
  registerDiffCommand(program);
  registerPruneCommand(program);
  readSwitchesFromEnvironment(program);
  return program;
}

/**
 * Whether errors show their stack traces: `--debug` anywhere before `--`,
 * MCP_REGISTRY_EXPORT_DEBUG set to anything but ``/`0`/`false`, or DEBUG naming this
 * program the way the `debug` package reads it (`*`, `mcp-registry-export`, `mcp-registry-export:*`).
 */
export function debugEnabled(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): boolean {
  const end = argv.indexOf('--');
  if ((end === -1 ? argv : argv.slice(0, end)).includes('--debug')) return true;
  const own = env['MCP_REGISTRY_EXPORT_DEBUG']?.trim().toLowerCase();
  if (own && own !== '0' && own !== 'false') return true;
  const namespaces = (env['DEBUG'] ?? '').split(/[\s,]+/).filter(Boolean);
  return namespaces.some((namespace) => namespace === '*' || namespace === 'mcp-registry-export' || namespace.startsWith('mcp-registry-export:'));
}

/** The stack trace of an error and of each `cause` below it. */
export function describeWithStack(error: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  for (let current: unknown = error; current !== undefined && !seen.has(current); current = (current as { cause?: unknown } | null)?.cause) {
    seen.add(current);
    const text = current instanceof Error ? (current.stack ?? `${current.name}: ${current.message}`) : String(current);
    parts.push(parts.length === 0 ? text : `caused by: ${text}`);
    if (typeof current !== 'object' || current === null) break;
  }
  return parts.join('\n');
}

function oneLine(text: string): string {
  return text.split('\n').map((line) => line.trim()).filter(Boolean).join(' ');
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  const debug = debugEnabled(argv);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return Number(process.exitCode ?? 0);
  } catch (error) {
    if (error instanceof CommanderError) {
      const clean = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help';
      return clean ? 0 : 2;
    }
    if (error instanceof ManifestError || error instanceof UsageError) {
      process.stderr.write(`error: ${oneLine(error.message)}\n`);
      if (debug) process.stderr.write(`${describeWithStack(error)}\n`);
      return 2;
    }
    // Not an input problem: a bug or the environment. Still one line, unless asked for more.
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    if (debug) process.stderr.write(`error: ${describeWithStack(error)}\n`);
    else process.stderr.write(`error: ${oneLine(message)} (run again with --debug for the stack trace)\n`);
    return 2;
  }
}
