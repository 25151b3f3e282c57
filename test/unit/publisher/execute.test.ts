// executeWrites against an in-memory registry client: it stops writing the moment the gate
// (the leader elector) says no or the run is aborted, and an aborted request is not reported
// as a registry failure.
import { describe, expect, it } from 'vitest';
import { executeWrites } from '../../../src/publisher/execute.ts';
import { RegistryView } from '../../../src/publisher/registry-view.ts';
import type { PublishWrite } from '../../../src/diff/diff.ts';
import type { RegistryClient, RegistryVersion, RequestOptions } from '../../../src/registry/client.ts';
import { OWNERSHIP_KEY, PUBLISHER_PROVIDED_KEY } from '../../../src/planner/server-entry.ts';

const RECORD = { [PUBLISHER_PROVIDED_KEY]: { [OWNERSHIP_KEY]: { owner: 'cluster-a', sources: [] } } };

function write(id: number, meta: object = RECORD): PublishWrite {
  const name = `com.example/s${id}`;
  return { id, kind: 'publish', name, version: '1.0.0', reason: 'new', after: [], baseVersion: '1.0.0', rerankLatest: false, entry: { name, version: '1.0.0', _meta: meta } as never };
}

function memoryClient(onPublish: (name: string, options: RequestOptions | undefined) => Promise<void> = async () => {}): RegistryClient & { published: string[] } {
  const published: string[] = [];
  return {
    flavor: 'upstream',
    statusChanges: true,
    baseUrl: 'memory:',
    published,
    async listByPrefix() {
      return [];
    },
    async versionsOf() {
      return [];
    },
    async publish(entry, options) {
      await onPublish(entry.name, options);
      published.push(entry.name);
      return { server: entry, status: 'active', isLatest: true } as unknown as RegistryVersion;
    },
    async setStatus() {
      throw new Error('not used');
    },
    async publishPatterns() {
      return undefined;
    },
  };
}

const emptyView = () => RegistryView.load(memoryClient(), { prefixes: [], names: [] });

describe('executeWrites', () => {
  it('asks the gate before every write and stops when it says no', async () => {
    const client = memoryClient();
    let allowed = 2;
    const outcomes = await executeWrites(client, await emptyView(), [write(0), write(1), write(2), write(3)], { mayWrite: () => allowed-- > 0 });
    expect(client.published).toEqual(['com.example/s0', 'com.example/s1']);
    expect(outcomes.map((o) => o.result)).toEqual(['written', 'written']);
  });

  it('an abort in the middle of a request ends the writes without a failed outcome', async () => {
    const abort = new AbortController();
    const client = memoryClient(async (name, options) => {
      if (name.endsWith('s1')) {
        abort.abort();
        throw options?.signal?.reason ?? new Error('aborted');
      }
    });
    const outcomes = await executeWrites(client, await emptyView(), [write(0), write(1), write(2)], { signal: abort.signal });
    expect(outcomes.map((o) => `${o.write.name}:${o.result}`)).toEqual(['com.example/s0:written']);
  });

  it('a publish whose answer comes back without the ownership record is a failed, not retried, write (publishing.md §5)', async () => {
    const client = memoryClient();
    const outcomes = await executeWrites(client, await emptyView(), [write(0, {}), write(1)]);
    expect(outcomes.map((o) => `${o.write.name}:${o.result}`)).toEqual(['com.example/s0:failed', 'com.example/s1:written']);
    const failed = outcomes[0] as { error: { message: string; retryable: boolean } };
    expect(failed.error.retryable).toBe(false);
    expect(failed.error.message).toContain('did not keep its ownership record');
  });
});
