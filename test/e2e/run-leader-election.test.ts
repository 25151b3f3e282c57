// `run --leader-election on` as the chart runs it, several replicas against a real API
// server and the real registry: every replica becomes ready and serves admission, only the
// Lease holder publishes; SIGKILL of the leader hands over within the lease duration,
// SIGTERM within about a retry period while the old replica still drains admission; nothing
// is published twice.

import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../cli/run-cli.ts';
import type { ControlPlane } from '../support/control-plane.ts';
import { freePort } from '../support/free-port.ts';
import { httpsClient } from '../support/https-client.ts';
import { acceptRoute, apply, eventually, exportedRoute, kubectlOk, mcpServer } from '../support/publisher-cluster.ts';
import type { RegistryServer } from '../support/registry-server.ts';
import { createThrowawayCA } from '../support/throwaway-pki.ts';
import { startPublisherWorld, type PublisherWorld } from '../support/publisher-world.ts';

const LEASE = { duration: 4_000, renewDeadline: 3_000, retryPeriod: 500 };
/** --shutdown-delay of every replica, as the chart sets one: admission drains after SIGTERM. */
const SHUTDOWN_DELAY_MS = 5_000;
const NAME = 'com.toolhive.k8s.mcp-servers/github';

let cluster: ControlPlane;
let registry: RegistryServer;
let dir: string;
let world: PublisherWorld | undefined;
let caPem: string;

interface Replica {
  name: string;
  child: ChildProcess;
  port: number;
  log: string;
  alive: boolean;
  exited: Promise<number | null>;
}

const replicas: Replica[] = [];

async function startReplica(name: string): Promise<Replica> {
  const port = await freePort();
  // prettier-ignore
  const child = spawn(process.execPath, [
    CLI, 'run', '--kubeconfig', cluster.kubeconfigPath, '--port', String(port),
    '--tls-cert', join(dir, 'tls.crt'), '--tls-key', join(dir, 'tls.key'),
    '--registry-url', registry.url, '--registry-auth', 'token', '--registry-token-file', join(dir, 'token'), '--owner', 'leader-e2e',
    '--leader-election', 'on', '--install-namespace', 'default', '--lease-name', 'publisher',
    '--lease-duration', `${LEASE.duration}ms`, '--renew-deadline', `${LEASE.renewDeadline}ms`, '--retry-period', `${LEASE.retryPeriod}ms`,
  ], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, POD_NAME: name, MCP_REGISTRY_EXPORT_SHUTDOWN_DELAY: `${SHUTDOWN_DELAY_MS}ms` } });
  const replica: Replica = {
    name,
    child,
    port,
    log: '',
    alive: true,
    exited: new Promise((resolve) =>
      child.once('exit', (code) => {
        replica.alive = false;
        resolve(code);
      }),
    ),
  };
  child.stdout!.on('data', (chunk) => (replica.log += chunk));
  child.stderr!.on('data', (chunk) => (replica.log += chunk));
  replicas.push(replica);
  return replica;
}

async function ready(replica: Replica): Promise<void> {
  const client = httpsClient(replica.port, caPem);
  try {
    await eventually(async () => ((await client.freshGet('/readyz').catch(() => undefined))?.status === 200 ? true : undefined), 60_000, `${replica.name} ready\n${replica.log.slice(-3000)}`);
  } finally {
    client.close();
  }
}

async function holder(): Promise<string> {
  return (await kubectlOk(cluster, ['get', 'lease', 'publisher', '-n', 'default', '-o', 'jsonpath={.spec.holderIdentity}'])).trim();
}

/** The replica whose identity holds the Lease (identities start with POD_NAME). */
async function leader(): Promise<Replica> {
  return eventually(async () => {
    const identity = await holder().catch(() => '');
    return replicas.find((r) => r.alive && identity.startsWith(`${r.name}_`));
  }, 20_000, 'a leader');
}

interface Held {
  server: { version: string; description: string };
  _meta: { 'io.modelcontextprotocol.registry/official': { status: string } };
}

async function versions(): Promise<Held[]> {
  const response = await fetch(`${registry.url}/v0.1/servers/${encodeURIComponent(NAME)}/versions?include_deleted=true`);
  return response.status === 200 ? ((await response.json()) as { servers: Held[] }).servers : [];
}

const publishLines = (replica: Replica) => replica.log.split('\n').filter((line) => line.includes('"kind":"publish"') || line.includes('"kind":"update"')).length;

beforeAll(async () => {
  world = await startPublisherWorld('run-leader');
  ({ cluster, registry, dir } = world);
  const ca = createThrowawayCA();
  const serving = ca.issue();
  caPem = ca.certPem;
  writeFileSync(join(dir, 'tls.crt'), serving.certPem);
  writeFileSync(join(dir, 'tls.key'), serving.keyPem);
}, 240_000);

afterAll(async () => {
  for (const replica of replicas) if (replica.alive) replica.child.kill('SIGKILL');
  await Promise.all(replicas.map((r) => r.exited));
  await world?.stop();
});

describe('run with leader election', () => {
  it('two replicas: both ready, one leader, one publish', async () => {
    const [a, b] = await Promise.all([startReplica('replica-a'), startReplica('replica-b')]);
    await Promise.all([ready(a!), ready(b!)]);
    await leader();
    await apply(cluster, mcpServer('github', 'GitHub MCP server'));
    await apply(cluster, exportedRoute('github', 'github'));
    await acceptRoute(cluster, 'github');
    await eventually(async () => ((await versions()).length === 1 ? true : undefined), 15_000, 'the entry');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await versions()).map((v) => v.server.version)).toEqual(['v1.2.0']);
    // The leader logged the one publish; the follower wrote nothing.
    const lead = await leader();
    expect(publishLines(lead)).toBe(1);
    expect(publishLines(lead === a ? b! : a!)).toBe(0);
  }, 120_000);

  it('SIGKILL of the leader: the follower takes over within the lease duration and publishes the next change once', async () => {
    const old = await leader();
    const follower = replicas.find((r) => r !== old && r.alive)!;
    const killedAt = Date.now();
    old.child.kill('SIGKILL');
    await old.exited;
    await apply(cluster, mcpServer('github', 'GitHub MCP server, after the failover'));
    const next = await leader();
    const tookOver = Date.now() - killedAt;
    console.log(`takeover after SIGKILL: ${tookOver} ms (lease duration ${LEASE.duration} ms)`);
    expect(next).toBe(follower);
    expect(tookOver).toBeLessThan(LEASE.duration + 3 * LEASE.retryPeriod + 1_000);
    await eventually(async () => ((await versions()).some((v) => v.server.description.endsWith('after the failover')) ? true : undefined), 15_000, 'the update');
    // The update is published before the old version is retired, in the same pass: wait for both.
    const isActive = (v: Held) => v._meta['io.modelcontextprotocol.registry/official'].status !== 'deleted';
    const all = await eventually(async () => {
      const held = await versions();
      return held.filter(isActive).length === 1 ? held : undefined;
    }, 15_000, 'one active version');
    expect(all.map((v) => v.server.version).sort()).toEqual(['v1.2.0', 'v1.2.1-0.1']);
  }, 60_000);

  it('SIGTERM of the leader: it releases the Lease at once, a follower leads within a couple of retry periods while the old one still drains admission, then it exits 0', async () => {
    const spare = await startReplica('replica-c');
    await ready(spare);
    const old = await leader();
    const stoppedAt = Date.now();
    old.child.kill('SIGTERM');
    const next = await leader();
    const tookOver = Date.now() - stoppedAt;
    console.log(`takeover after SIGTERM: ${tookOver} ms`);
    expect(next).toBe(spare);
    expect(tookOver).toBeLessThan(LEASE.duration);
    // Publishing moved on; admission on the old replica has not stopped yet: it answers, unready.
    expect(old.alive).toBe(true);
    const client = httpsClient(old.port, caPem);
    try {
      const readyz = await client.freshGet('/readyz');
      expect(readyz.status).toBe(503);
      expect(readyz.text).toBe('shutting down\n');
    } finally {
      client.close();
    }
    expect(await old.exited).toBe(0);
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(SHUTDOWN_DELAY_MS);
    expect(old.log).toContain('released the Lease');
    expect(old.log).toContain('admission webhook draining');
    // The new leader's first pass finds the registry in sync: it writes nothing.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(publishLines(spare)).toBe(0);
    expect((await versions()).length).toBe(2);
  }, 90_000);

  it('a leader whose registry never answers is ready all the same: readiness is admission\'s, the publisher reports its own progress', async () => {
    // A registry that accepts connections and never answers: the first pass would take a minute.
    const { createServer } = await import('node:net');
    const sockets: import('node:net').Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentUrl = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
    const port = await freePort();
    // prettier-ignore
    const child = spawn(process.execPath, [
      CLI, 'run', '--kubeconfig', cluster.kubeconfigPath, '--port', String(port),
      '--tls-cert', join(dir, 'tls.crt'), '--tls-key', join(dir, 'tls.key'),
      '--registry-url', silentUrl, '--registry-auth', 'token', '--registry-token-file', join(dir, 'token'), '--owner', 'silent-e2e',
      '--leader-election', 'on', '--install-namespace', 'default', '--lease-name', 'silent-registry',
      '--lease-duration', `${LEASE.duration}ms`, '--renew-deadline', `${LEASE.renewDeadline}ms`, '--retry-period', `${LEASE.retryPeriod}ms`,
    ], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, POD_NAME: 'replica-silent' } });
    let log = '';
    child.stdout!.on('data', (chunk) => (log += chunk));
    child.stderr!.on('data', (chunk) => (log += chunk));
    const client = httpsClient(port, caPem);
    try {
      const holderOf = async () => (await kubectlOk(cluster, ['get', 'lease', 'silent-registry', '-n', 'default', '-o', 'jsonpath={.spec.holderIdentity}']).catch(() => '')).trim();
      await eventually(async () => ((await holderOf()).startsWith('replica-silent_') ? true : undefined), 30_000, `replica-silent leads\n${log.slice(-2000)}`);
      // Leading, its publisher started and is stuck in its first pass against the silent registry ...
      await eventually(async () => (/mcp_registry_export_publisher_first_pass_done 0\n/.test((await client.freshGet('/metrics').catch(() => undefined))?.text ?? '') ? true : undefined), 30_000, `the publisher started\n${log.slice(-2000)}`);
      // ... and the replica is ready all the same.
      await eventually(async () => ((await client.freshGet('/readyz').catch(() => undefined))?.status === 200 ? true : undefined), 20_000, `replica-silent ready\n${log.slice(-3000)}`);
      expect(log).not.toContain('publisher: first reconcile pass done');
    } finally {
      client.close();
      // Not a shutdown test: SIGTERM would wait for the pass stuck on the silent registry.
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  }, 90_000);
});
