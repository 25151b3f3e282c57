// Options shared by several subcommands, defined once so `validate`, `plan` and the
// long-running modes agree on names, defaults and environment variables.

import { Option } from 'commander';
import { DEFAULT_NAME_PREFIX } from '../contract/types.ts';

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

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

/** A usage error: exit code 2, like commander's own. */
export class UsageError extends Error {}
