// The self-managed certificates against a real kube-apiserver: the real CLI (`webhook
// --certificate-mode self-managed --leader-election on`) runs the certificate controller
// and serves admission from files that a stand-in kubelet copies from the Secret, a couple
// of seconds late, the way a mounted Secret is refreshed. Lifetimes are shrunk to seconds
// so a whole CA change happens while the API server keeps sending admission requests.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSignedBy, readCertificate, splitPemBundle } from '../../src/certificates/pki.ts';
import { SECRET_KEYS } from '../../src/certificates/secret-format.ts';
import { ApiError, requestJson } from '../../src/kubernetes/api-requests.ts';
import { repoRoot, startControlPlane, type ControlPlane } from '../support/control-plane.ts';
import { freePort } from '../support/free-port.ts';
import { admissionTraffic } from '../support/admission-traffic.ts';
import { createSecretVolume, updateSecretVolume } from '../support/secret-volume.ts';
import { loopbackWebhookConfigurations } from '../support/webhook-configurations.ts';

const NAMESPACE = 'mcp-registry-export';
const SECRET = 'mcp-registry-export-tls';
const CONFIGURATION = 'mcp-registry-export';
const P = 'toolhive.stacklok.dev/';
const KUBELET_LAG_MS = 2_000;

let cluster: ControlPlane;
let kubeConfig: KubeConfig;
let webhook: ChildProcess;
let webhookLog = '';
let volume: string;
let port: number;
let stopKubelet = () => {};

interface Secret {
  metadata: { resourceVersion: string; annotations?: Record<string, string> };
  data: Record<string, string>;
}

const decode = (secret: Secret, key: string) => Buffer.from(secret.data[key] ?? '', 'base64').toString('utf8');

async function readSecret(): Promise<Secret | undefined> {
  try {
    return await requestJson<Secret>(kubeConfig, 'GET', `/api/v1/namespaces/${NAMESPACE}/secrets/${SECRET}`, undefined);
  } catch (error) {
    if (error instanceof ApiError && error.statusCode === 404) return undefined;
    throw error;
  }
}

const CONFIG_PATHS = {
  validating: `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${CONFIGURATION}`,
  mutating: `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${CONFIGURATION}`,
};

async function caBundles(): Promise<string[]> {
  const bundles: string[] = [];
  for (const path of Object.values(CONFIG_PATHS)) {
    const configuration = await requestJson<{ webhooks: { clientConfig: { caBundle?: string } }[] }>(kubeConfig, 'GET', path, undefined);
    for (const hook of configuration.webhooks) bundles.push(Buffer.from(hook.clientConfig.caBundle ?? '', 'base64').toString('utf8'));
  }
  return bundles;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n--- webhook log ---\n${webhookLog.slice(-4000)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** What the kubelet does for a mounted Secret, `KUBELET_LAG_MS` late: tls.crt and tls.key only. */
function startKubelet(): void {
  let served = '';
  let stopped = false;
  let created = false;
  const loop = async () => {
    while (!stopped) {
      const secret = await readSecret().catch(() => undefined);
      const files = secret ? { 'tls.crt': decode(secret, SECRET_KEYS.certificate), 'tls.key': decode(secret, SECRET_KEYS.key) } : undefined;
      if (files && files['tls.crt'] && files['tls.crt'] !== served) {
        served = files['tls.crt'];
        await new Promise((resolve) => setTimeout(resolve, KUBELET_LAG_MS));
        if (created) await updateSecretVolume(volume, files);
        else await createSecretVolume(volume, files);
        created = true;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };
  void loop();
  stopKubelet = () => (stopped = true);
}

function servedCertificate(): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const der = socket.getPeerCertificate().raw;
      socket.end();
      resolve(`-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`);
    });
    socket.on('error', reject);
  });
}

beforeAll(async () => {
  cluster = await startControlPlane();
  kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(cluster.kubeconfigPath);
  port = await freePort();
  volume = join(mkdtempSync(join(tmpdir(), 'mcp-registry-export-certs-')), 'tls');
  const created = await cluster.kubectl(['create', 'namespace', NAMESPACE]);
  expect(created.code, created.stderr).toBe(0);
  const applied = await cluster.kubectl(['apply', '-f', '-'], { input: loopbackWebhookConfigurations(port, undefined, CONFIGURATION) });
  expect(applied.code, applied.stderr).toBe(0);
  startKubelet();
  const node = join(repoRoot, 'node_modules', '.bin', 'node');
  // prettier-ignore
  webhook = spawn(node, [
    join(repoRoot, 'dist', 'cli', 'main.js'), 'webhook',
    '--kubeconfig', cluster.kubeconfigPath, '--cluster-lookups', 'off', '--port', String(port),
    '--tls-cert', join(volume, 'tls.crt'), '--tls-key', join(volume, 'tls.key'), '--certificate-wait', '2m',
    '--certificate-mode', 'self-managed', '--install-namespace', NAMESPACE, '--certificate-secret', SECRET,
    '--webhook-configuration', CONFIGURATION, '--certificate-ip-address', '127.0.0.1',
    '--ca-validity', '60s', '--certificate-validity', '30s', '--certificate-overlap', '5s',
    '--leader-election', 'on', '--log-level', 'debug',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  webhook.stdout!.on('data', (chunk) => (webhookLog += chunk));
  webhook.stderr!.on('data', (chunk) => (webhookLog += chunk));
}, 180_000);

afterAll(async () => {
  stopKubelet();
  if (webhook && webhook.exitCode === null) {
    const exited = new Promise((resolve) => webhook.once('exit', resolve));
    webhook.kill('SIGTERM');
    await exited;
  }
  await cluster?.stop();
  if (volume) rmSync(join(volume, '..'), { recursive: true, force: true });
});

describe('self-managed certificates', () => {
  it('fills the Secret and both caBundles, and the webhook serves the certificate once the files appear', async () => {
    const secret = await until('the Secret', readSecret);
    const bundle = decode(secret, SECRET_KEYS.bundle);
    const leaf = decode(secret, SECRET_KEYS.certificate);
    expect(splitPemBundle(bundle)).toHaveLength(1);
    expect(isSignedBy(leaf, bundle)).toBe(true);
    expect(readCertificate(leaf).dnsNames).toEqual([`${CONFIGURATION}.${NAMESPACE}.svc`, `${CONFIGURATION}.${NAMESPACE}.svc.cluster.local`]);
    expect(decode(secret, SECRET_KEYS.signerKey)).toContain('PRIVATE KEY');
    await until('the caBundles', async () => ((await caBundles()).every((b) => b === bundle) ? true : undefined));
    const served = await until('the webhook to serve', () => servedCertificate());
    expect(readCertificate(served).fingerprint).toBe(readCertificate(leaf).fingerprint);
    const lease = await cluster.kubectl(['get', 'lease', 'mcp-registry-export', '-n', NAMESPACE, '-o', 'jsonpath={.spec.holderIdentity}']);
    expect(lease.stdout).not.toBe('');
  }, 120_000);

  it('rotates the CA with overlap while the API server keeps sending admission requests: 0 failed admissions', async () => {
    const first = (await until('the Secret', readSecret))!;
    const firstCA = decode(first, SECRET_KEYS.signerCertificate);
    const traffic = admissionTraffic(kubeConfig, 'rotation');
    const seenBundles = new Set<string>();
    const seenLeaves = new Set<string>();
    // Watch the whole CA change: the new CA trusted beside the old, the leaf switched, the old CA dropped.
    await until(
      'a completed CA change',
      async () => {
        const secret = await readSecret();
        if (!secret) return undefined;
        const bundle = decode(secret, SECRET_KEYS.bundle);
        seenBundles.add(bundle);
        seenLeaves.add(decode(secret, SECRET_KEYS.certificate));
        const cas = splitPemBundle(bundle);
        const done = cas.length === 1 && cas[0] !== firstCA && isSignedBy(decode(secret, SECRET_KEYS.certificate), cas[0]!);
        return done ? true : undefined;
      },
      120_000,
    );
    // Let the kubelet stand-in deliver the last leaf and keep admitting for a moment.
    await new Promise((resolve) => setTimeout(resolve, KUBELET_LAG_MS + 2_000));
    const counts = await traffic.stop();
    console.log(
      `admissions during rotation: ${counts.allowed} allowed, ${counts.deniedAsExpected} denied as expected, ${counts.failed} failed; ` +
        `${seenBundles.size} distinct bundles, ${seenLeaves.size} distinct serving certificates`,
    );
    expect(counts.failures).toEqual([]);
    expect(counts.failed).toBe(0);
    expect(counts.allowed).toBeGreaterThan(50);
    expect(counts.deniedAsExpected).toBeGreaterThan(5);
    expect([...seenBundles].some((bundle) => splitPemBundle(bundle).length === 2)).toBe(true);
    expect(seenLeaves.size).toBeGreaterThanOrEqual(2);
    // And the webhook serves the newest leaf, without a restart.
    const secret = (await readSecret())!;
    await until('the newest leaf to be served', async () =>
      readCertificate(await servedCertificate()).fingerprint === readCertificate(decode(secret, SECRET_KEYS.certificate)).fingerprint ? true : undefined,
    );
    expect(webhook.exitCode).toBeNull();
  }, 180_000);

  it('injects the bundle again after the webhook configuration was overwritten', async () => {
    const secret = (await readSecret())!;
    const bundle = decode(secret, SECRET_KEYS.bundle);
    // What a re-apply of a manifest that carries its own caBundle does.
    const junk = Buffer.from('-----BEGIN CERTIFICATE-----\nnot a CA\n-----END CERTIFICATE-----\n').toString('base64');
    for (const path of Object.values(CONFIG_PATHS)) {
      await requestJson(kubeConfig, 'PATCH', path, [{ op: 'add', path: '/webhooks/0/clientConfig/caBundle', value: junk }]);
    }
    await until(
      'the bundle back in both configurations',
      async () => {
        const current = decode((await readSecret())!, SECRET_KEYS.bundle);
        return (await caBundles()).every((b) => b === current) ? true : undefined;
      },
      20_000,
    );
    expect(splitPemBundle(bundle).length).toBeGreaterThan(0);
    const admitted = await requestJson(kubeConfig, 'POST', '/apis/gateway.networking.k8s.io/v1/namespaces/default/httproutes', {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'after-repair', namespace: 'default', annotations: { [`${P}registry-export`]: 'true' } },
      spec: { rules: [{ backendRefs: [{ name: 'mcp', port: 8080 }] }] },
    });
    expect(admitted).toBeTruthy();
    expect(webhookLog).toContain('injected the CA bundle');
  }, 60_000);

  it('releases the Lease on SIGTERM and exits 0', async () => {
    const exited = new Promise<number | null>((resolve) => webhook.once('exit', (code) => resolve(code)));
    webhook.kill('SIGTERM');
    expect(await exited).toBe(0);
    const lease = await cluster.kubectl(['get', 'lease', 'mcp-registry-export', '-n', NAMESPACE, '-o', 'jsonpath={.spec.holderIdentity}']);
    expect(lease.code, lease.stderr).toBe(0);
    expect(lease.stdout).toBe('');
    expect(webhookLog).toContain('released the Lease');
  }, 30_000);
});
