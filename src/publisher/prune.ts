// `prune` (publishing.md §6): retire every active version of every name this installation
// holds, so an uninstall can leave the registry clean. The diff of an empty plan is exactly
// that set of retires; `namespaces` narrows it to the names exported from those namespaces
// (namespace-scope.ts). No hold, policy or retire guard applies: leaving is deliberate.

import { diffEntries, type RetireWrite } from '../diff/diff.ts';
import type { Identity } from '../diff/identity.ts';
import { withinNamespaces } from '../publishing-rules/index.ts';
import type { RegistryClient } from '../registry/client.ts';
import { executeWrites, type WriteOutcome } from './execute.ts';
import { readScope } from './read-scope.ts';
import { RegistryView } from './registry-view.ts';

export interface PruneOptions {
  identity: Identity;
  namePrefix: string;
  /** Only names exported from these namespaces ([]: all of this installation's). */
  namespaces: readonly string[];
  dryRun: boolean;
}

export interface PruneResult {
  writes: RetireWrite[];
  /** Empty on a dry run. */
  outcomes: WriteOutcome[];
}

export async function prune(client: RegistryClient, options: PruneOptions): Promise<PruneResult> {
  const scope = readScope(options.namePrefix, await client.publishPatterns(), []);
  const view = await RegistryView.load(client, scope);
  const diff = diffEntries([], view.entries(), options.identity);
  const writes = diff.writes.filter((write): write is RetireWrite => write.kind === 'retire' && withinNamespaces(write.sources, options.namespaces));
  const outcomes = options.dryRun ? [] : await executeWrites(client, view, writes);
  return { writes, outcomes };
}
