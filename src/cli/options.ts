// Options shared by several subcommands, defined once so `validate`, `plan` and the
// long-running modes agree on names, defaults and environment variables.

import { Option, type Command } from 'commander';
import { DEFAULT_NAME_PREFIX } from '../contract/types.ts';

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** A repeatable flag's values, each of which may also be a comma list (as its variable is). */
export function commaList(values: readonly string[] | undefined): string[] {
  return (values ?? []).flatMap((value) => value.split(',')).map((value) => value.trim()).filter(Boolean);
}

export function filenameOption(): Option {
  return new Option('-f, --filename <path>', 'manifest file, directory (recursive, *.yaml|*.yml|*.json) or - for stdin; repeatable').argParser(collect);
}

export function outputOption(): Option {
  return new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text');
}

export function namespaceOption(): Option {
  return new Option('-n, --namespace <namespace>', 'namespace of objects that carry none').default('default');
}

export function namePrefixOption(): Option {
  return new Option('--name-prefix <template>', 'registry name prefix template; {namespace} is the namespace that owns the name')
    .env('MCP_REGISTRY_EXPORT_NAME_PREFIX')
    .default(DEFAULT_NAME_PREFIX);
}

export function referentialChecksOption(): Option {
  return new Option('--referential-checks <mode>', 'deny or only warn on failed checks against other objects')
    .choices(['deny', 'warn'])
    .env('MCP_REGISTRY_EXPORT_REFERENTIAL_CHECKS')
    .default('deny');
}

const FALSE_WORDS = new Set(['', '0', 'false', 'no', 'off']);
const TRUE_WORDS = new Set(['1', 'true', 'yes', 'on']);

/**
 * Commander turns a switch on when its variable is set at all, so
 * `MCP_REGISTRY_EXPORT_ALLOW_MASS_RETIRE=false` would allow mass retires: before every
 * action, a switch set from its variable takes the variable's value (false, 0, no, off or
 * empty: off), and anything else but true, 1, yes or on is a usage error.
 */
export function readSwitchesFromEnvironment(program: Command): void {
  program.hook('preAction', (_root, action) => {
    for (const option of action.options) {
      if (!option.envVar || option.required || option.optional || option.negate) continue;
      const name = option.attributeName();
      if (action.getOptionValueSource(name) !== 'env') continue;
      const raw = process.env[option.envVar] ?? '';
      const word = raw.trim().toLowerCase();
      if (FALSE_WORDS.has(word)) action.setOptionValueWithSource(name, false, 'env');
      else if (!TRUE_WORDS.has(word)) throw new UsageError(`${option.envVar}=${JSON.stringify(raw.slice(0, 40))} is neither true nor false`);
    }
  });
}

/** A usage error: exit code 2, like commander's own. */
export class UsageError extends Error {}
