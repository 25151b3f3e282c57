// Carries out the writes in their order, each only after the writes it depends on
// succeeded, and keeps the registry view current with what the registry answered. A write
// that fails does not stop the others; its dependants wait for the next reconcile.

import type { PublishWrite, Write } from '../diff/diff.ts';
import { ownerOf } from '../planner/ownership.ts';
import { RegistryError, type RegistryClient, type RequestOptions } from '../registry/client.ts';
import type { RegistryView } from './registry-view.ts';

export type WriteOutcome =
  | { write: Write; result: 'written' }
  | { write: Write; result: 'failed'; error: RegistryError }
  | { write: Write; result: 'waiting'; on: number[] };

/** The registry already holds what the write wanted: a stale view, not a failure. */
function alreadyDone(write: Write, error: RegistryError): boolean {
  if (write.kind !== 'retire') return false;
  return error.status === 404 || (error.status === 400 && /no changes to apply/i.test(error.message));
}

/** The registry says our view is out of date (e.g. a publish whose answer was lost). */
export function isStaleViewError(error: RegistryError): boolean {
  return error.status === 400 && /duplicate version|already exists|already used by server/i.test(error.message);
}

async function publish(client: RegistryClient, view: RegistryView, write: PublishWrite, options: RequestOptions): Promise<void> {
  const published = await client.publish(write.entry, options);
  view.put(published);
  // A copy without our record would read as someone else's from now on: say so now
  // (publishing.md §5) instead of finding a foreign name at the next pass.
  if (ownerOf(published.server) === undefined) {
    throw new RegistryError(write.kind, `the registry accepted ${write.name}@${write.version} but did not keep its ownership record (publisher-provided _meta); the name will read as someone else's`, { retryable: false });
  }
  if (write.rerankLatest) {
    // The registry ranks versions again on every status change: a round trip through
    // `deprecated` makes the new version latest when an older, retired one outranks it.
    view.put(await client.setStatus(write.name, write.version, 'deprecated', options));
    view.put(await client.setStatus(write.name, write.version, 'active', options));
  }
}

async function writeOne(client: RegistryClient, view: RegistryView, write: Write, options: RequestOptions): Promise<void> {
  switch (write.kind) {
    case 'retire':
      view.put(await client.setStatus(write.name, write.version, 'deleted', options));
      return;
    case 'activate':
      view.put(await client.setStatus(write.name, write.version, 'active', options));
      return;
    case 'deprecate':
      view.put(await client.setStatus(write.name, write.version, 'deprecated', { ...options, ...(write.message ? { message: write.message } : {}) }));
      return;
    default:
      await publish(client, view, write, options);
  }
}

export async function executeWrites(
  client: RegistryClient,
  view: RegistryView,
  writes: readonly Write[],
  options: RequestOptions & {
    onOutcome?: (outcome: WriteOutcome) => void;
    /** Asked before every write: false (e.g. the Lease was lost) ends the run of writes. */
    mayWrite?: () => boolean;
  } = {},
): Promise<WriteOutcome[]> {
  const outcomes: WriteOutcome[] = [];
  const succeeded = new Set<number>();
  const report = (outcome: WriteOutcome) => {
    outcomes.push(outcome);
    options.onOutcome?.(outcome);
  };
  for (const write of writes) {
    if (options.signal?.aborted || options.mayWrite?.() === false) break;
    const missing = write.after.filter((id) => !succeeded.has(id));
    if (missing.length > 0) {
      report({ write, result: 'waiting', on: missing });
      continue;
    }
    try {
      await writeOne(client, view, write, options);
      succeeded.add(write.id);
      report({ write, result: 'written' });
    } catch (error) {
      // Stopped mid-request: not a registry failure; the next leader re-reads and decides.
      if (options.signal?.aborted) break;
      const registryError =
        error instanceof RegistryError ? error : new RegistryError(write.kind, error instanceof Error ? error.message : String(error), { retryable: true, cause: error });
      if (alreadyDone(write, registryError)) {
        view.setStatus(write.name, write.version, 'deleted');
        succeeded.add(write.id);
        report({ write, result: 'written' });
        continue;
      }
      report({ write, result: 'failed', error: registryError });
    }
  }
  return outcomes;
}
