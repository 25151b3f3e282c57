// A rolling restart of the admission webhook under continuous admission traffic, against a
// real kube-apiserver: two `webhook` processes (the built CLI) behind one address that
// plays the Service (support/service-proxy.ts: round-robin over the ready endpoints, an
// endpoint removed PROPAGATION_MS after its pod is told to stop, as endpoint changes reach
// kube-proxy late). The shipped configurations fail closed, so a review that cannot reach a
// webhook fails the write. Replaced the way a Deployment with maxSurge 1, maxUnavailable 0
// does it: a new process, ready, added; then the old one gets SIGTERM. Besides the API
// server (which keeps its connections open, so it rarely opens one during a restart),
// a second client opens a new connection through the Service for every review, the way
// another API server instance, or one that just restarted, would.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admissionTraffic } from '../support/admission-traffic.ts';
import { repoRoot, startControlPlane, type ControlPlane } from '../support/control-plane.ts';
import { freePort } from '../support/free-port.ts';
import { startServiceProxy, type ServiceProxy } from '../support/service-proxy.ts';
import { createThrowawayCA } from '../support/throwaway-pki.ts';
import { loopbackWebhookConfigurations } from '../support/webhook-configurations.ts';

/** From SIGTERM to the endpoint's removal reaching the "kube-proxy". */
const PROPAGATION_MS = 1_500;
/** --shutdown-delay of the drained processes: well beyond the propagation, for a loaded machine. */
const SHUTDOWN_DELAY_MS = 4_000;
const SHUTDOWN_DELAY = `${SHUTDOWN_DELAY_MS / 1000}s`;

let cluster: ControlPlane;
let kubeConfig: KubeConfig;
let service: ServiceProxy;
let dir: string;
let caPem: string;
const pods: Pod[] = [];
/** The processes the first restart left running, for the second. */
let rolled: Pod[] = [];
/** Traffic loops still running (a failed case leaves them), stopped before the cluster goes. */
const loops = new Set<{ stop(): Promise<unknown> }>();

interface Pod {
  name: string;
  port: number;
  child: ChildProcess;
  log: () => string;
  exit: Promise<number | null>;
}

async function startPod(name: string, shutdownDelay: string): Promise<Pod> {
  const port = await freePort();
  const node = join(repoRoot, 'node_modules', '.bin', 'node');
  // prettier-ignore
  const child = spawn(node, [
    join(repoRoot, 'dist', 'cli', 'main.js'), 'webhook', '--cluster-lookups', 'off', '--port', String(port),
    '--tls-cert', join(dir, 'tls.crt'), '--tls-key', join(dir, 'tls.key'), '--shutdown-delay', shutdownDelay,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (chunk) => (log += chunk));
  child.stderr!.on('data', (chunk) => (log += chunk));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const pod = { name, port, child, log: () => log, exit };
  pods.push(pod);
  return pod;
}

/** GET or POST on a fresh connection, straight to one process or (with the Service's port) through the Service. */
function direct(pod: Pick<Pod, 'port'>, method: 'GET' | 'POST', path: string, body?: object): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request(
      { host: '127.0.0.1', port: pod.port, method, path, ca: caPem, agent: false, headers: payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {} },
      (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** How long each process took from its start to a ready /readyz (printed with the results). */
const readyAfterMs: string[] = [];

/** The kubelet's readiness probe and the endpoints controller: in the Service once /readyz answers 200. */
async function becomeReady(pod: Pod): Promise<void> {
  const started = Date.now();
  const deadline = started + 30_000;
  for (;;) {
    const ready = await direct(pod, 'GET', '/readyz').then((answer) => answer.status === 200, () => false);
    if (ready) break;
    if (Date.now() > deadline) throw new Error(`${pod.name} never became ready:\n${pod.log()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  readyAfterMs.push(`${pod.name} ${Date.now() - started} ms`);
  service.addEndpoint(pod.port);
}

interface Termination {
  /** /readyz and a review sent straight to the pod right after SIGTERM. */
  readyz: number;
  review: string;
  /** New connections the Service still sent to the pod after SIGTERM. */
  connectionsAfterSignal: number;
  exitCode: number | null;
  msFromSignalToExit: number;
}

const reviewOf = (uid: string) => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: { uid, operation: 'DELETE', kind: { group: 'gateway.networking.k8s.io', version: 'v1', kind: 'HTTPRoute' }, object: null },
});

/** Reviews through the Service address, each on a new connection, until stopped. */
function freshConnectionReviews() {
  const counts = { answered: 0, failures: [] as string[] };
  let stopped = false;
  let serial = 0;
  const loop = (async () => {
    while (!stopped) {
      const uid = `fresh-${++serial}`;
      const outcome = await direct({ port: service.port }, 'POST', '/validate?timeout=5s', reviewOf(uid)).then(
        (answer) => (answer.status === 200 && JSON.parse(answer.text).response.uid === uid ? undefined : `HTTP ${answer.status} ${answer.text}`),
        (error: Error) => error.message,
      );
      if (outcome === undefined) counts.answered++;
      else counts.failures.push(`${uid} at ${new Date().toISOString()}: ${outcome}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  })();
  const handle = {
    async stop() {
      stopped = true;
      await loop;
      loops.delete(handle);
      return counts;
    },
  };
  loops.add(handle);
  return handle;
}

/** Pod deletion: SIGTERM now; the endpoint leaves the Service PROPAGATION_MS later. */
async function terminate(pod: Pod): Promise<Termination> {
  const before = service.connections(pod.port);
  const signalledAt = Date.now();
  pod.child.kill('SIGTERM');
  const removed = new Promise<void>((resolve) =>
    setTimeout(() => {
      service.removeEndpoint(pod.port);
      resolve();
    }, PROPAGATION_MS),
  );
  await new Promise((resolve) => setTimeout(resolve, 200));
  const readyz = await direct(pod, 'GET', '/readyz').then((answer) => answer.status, (error: Error) => error.message);
  const review = await direct(pod, 'POST', '/validate', reviewOf(`${pod.name}-draining`)).then(
    (answer) => (answer.status === 200 ? JSON.parse(answer.text).response.uid : `HTTP ${answer.status}`),
    (error: Error) => error.message,
  );
  await removed;
  const connectionsAfterSignal = service.connections(pod.port) - before;
  const exitCode = await pod.exit;
  return { readyz: readyz as number, review, connectionsAfterSignal, exitCode, msFromSignalToExit: Date.now() - signalledAt };
}

/** Replaces each pod in turn: surge one, ready, then terminate the old one. */
async function rollingRestart(current: Pod[], generation: string, shutdownDelay: string): Promise<{ next: Pod[]; terminations: Termination[] }> {
  const next: Pod[] = [];
  const terminations: Termination[] = [];
  for (const [i, old] of current.entries()) {
    const surge = await startPod(`${generation}-${i}`, shutdownDelay);
    await becomeReady(surge);
    next.push(surge);
    terminations.push(await terminate(old));
  }
  return { next, terminations };
}

beforeAll(async () => {
  cluster = await startControlPlane();
  kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(cluster.kubeconfigPath);
  dir = mkdtempSync(join(tmpdir(), 'mcp-registry-export-rollout-'));
  const ca = createThrowawayCA();
  const serving = ca.issue();
  caPem = ca.certPem;
  writeFileSync(join(dir, 'tls.crt'), serving.certPem);
  writeFileSync(join(dir, 'tls.key'), serving.keyPem);
  service = await startServiceProxy();
  const applied = await cluster.kubectl(['apply', '-f', '-'], { input: loopbackWebhookConfigurations(service.port, caPem) });
  expect(applied.code, applied.stderr).toBe(0);
}, 180_000);

afterAll(async () => {
  for (const loop of [...loops]) await loop.stop();
  for (const pod of pods) if (pod.child.exitCode === null && pod.child.signalCode === null) pod.child.kill('SIGKILL');
  await service?.close();
  await cluster?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('rolling restart of the webhook behind one Service address', () => {
  it('0 failed admissions: each old process fails /readyz at SIGTERM and keeps answering until its endpoint is gone', async () => {
    const first = await Promise.all([startPod('a-0', SHUTDOWN_DELAY), startPod('a-1', SHUTDOWN_DELAY)]);
    for (const pod of first) await becomeReady(pod);
    const traffic = admissionTraffic(kubeConfig, 'rollout');
    loops.add(traffic);
    const fresh = freshConnectionReviews();
    // Some admissions on the old pair first, so the API server holds connections to both.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const { next, terminations } = await rollingRestart(first, 'b', SHUTDOWN_DELAY);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const counts = await traffic.stop();
    loops.delete(traffic);
    const reviews = await fresh.stop();
    console.log(
      `rolling restart with --shutdown-delay ${SHUTDOWN_DELAY}: API server ${counts.allowed} allowed, ${counts.deniedAsExpected} denied as expected, ${counts.failed} failed; ` +
        `fresh connections ${reviews.answered} answered, ${reviews.failures.length} failed; new connections sent to a stopping pod: ${terminations.map((t) => t.connectionsAfterSignal).join(', ')}; ` +
        `SIGTERM to exit: ${terminations.map((t) => `${t.msFromSignalToExit} ms`).join(', ')}; ready after: ${readyAfterMs.join(', ')}`,
    );

    expect(counts.failures).toEqual([]);
    expect(reviews.failures).toEqual([]);
    expect(reviews.answered).toBeGreaterThan(50);
    expect(counts.failed).toBe(0);
    expect(counts.allowed).toBeGreaterThan(30);
    expect(counts.deniedAsExpected).toBeGreaterThan(2);
    for (const [i, t] of terminations.entries()) {
      const pod = first[i]!;
      expect(t.readyz, pod.name).toBe(503);
      expect(t.review, pod.name).toBe(`${pod.name}-draining`);
      // The drain was needed: the Service kept sending new connections after SIGTERM.
      expect(t.connectionsAfterSignal, pod.name).toBeGreaterThan(0);
      expect(t.exitCode, pod.log()).toBe(0);
      expect(t.msFromSignalToExit).toBeGreaterThanOrEqual(SHUTDOWN_DELAY_MS);
      expect(pod.log()).toContain('admission webhook draining');
      expect(pod.log()).not.toContain('shutdown deadline reached');
    }
    expect(service.refused).toBe(0);
    for (const pod of next) expect(pod.child.exitCode).toBeNull();
    rolled = next;
  }, 120_000);

  it('the same restart without the delay (--shutdown-delay 0s) fails reviews: the test can tell', async () => {
    expect(rolled, 'the processes the first case left running').toHaveLength(2);
    // Processes started with --shutdown-delay 0s (the ones they replace still drain)...
    const { next: undrained } = await rollingRestart(rolled, 'c', '0s');
    const refusedBefore = service.refused;
    const fresh = freshConnectionReviews();
    await new Promise((resolve) => setTimeout(resolve, 500));
    // ...then replaced in turn: each stops listening at SIGTERM, before its endpoint is gone.
    const { terminations } = await rollingRestart(undrained, 'd', '0s');
    const reviews = await fresh.stop();
    console.log(`rolling restart with --shutdown-delay 0s: fresh connections ${reviews.answered} answered, ${reviews.failures.length} failed`);
    expect(reviews.failures.length).toBeGreaterThan(0);
    expect(service.refused).toBeGreaterThan(refusedBefore);
    for (const t of terminations) {
      expect(t.exitCode).toBe(0);
      expect(t.readyz).toMatch(/ECONNREFUSED/);
    }
  }, 120_000);
});
