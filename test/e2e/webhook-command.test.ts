// `mcp-registry-export webhook` as a process against a real kube-apiserver: /readyz waits
// for the informer caches, and the checks against other objects see the cluster's
// Gateways and Namespaces (no API call per request).

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startControlPlane, type ControlPlane } from '../support/control-plane.ts';
import { httpsClient, type HttpsClient } from '../support/https-client.ts';
import { createThrowawayCA } from '../support/throwaway-pki.ts';
import { freePort } from '../support/free-port.ts';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const P = 'toolhive.stacklok.dev/';

let cluster: ControlPlane;
let child: ChildProcess;
let client: HttpsClient;
let dir: string;
let output = '';


beforeAll(async () => {
  cluster = await startControlPlane();
  const created = await cluster.kubectl(['apply', '--server-side', '-f', '-'], {
    input: `apiVersion: v1
kind: Namespace
metadata: {name: infra}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: public, namespace: infra}
spec:
  gatewayClassName: example
  listeners:
    - {name: http, port: 80, protocol: HTTP}
`,
  });
  expect(created.code, created.stderr).toBe(0);
  dir = mkdtempSync(join(tmpdir(), 'mcp-registry-export-webhook-e2e-'));
  const ca = createThrowawayCA();
  const serving = ca.issue();
  writeFileSync(join(dir, 'tls.crt'), serving.certPem);
  writeFileSync(join(dir, 'tls.key'), serving.keyPem);
  const port = await freePort();
  child = spawn(
    process.execPath,
    [MAIN, 'webhook', '--port', String(port), '--tls-cert', join(dir, 'tls.crt'), '--tls-key', join(dir, 'tls.key'), '--kubeconfig', cluster.kubeconfigPath],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  client = httpsClient(port, ca.certPem);
}, 180_000);

afterAll(async () => {
  client?.close();
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
  await cluster?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('becomes ready once its caches have synced and judges with the cluster\'s Gateways', async () => {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ready = await client.get('/readyz').catch(() => undefined);
    if (ready?.status === 200) break;
    if (Date.now() > deadline) throw new Error(`never ready; output: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const review = {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'e2e-1',
      kind: { group: 'gateway.networking.k8s.io', version: 'v1', kind: 'HTTPRoute' },
      resource: { group: 'gateway.networking.k8s.io', version: 'v1', resource: 'httproutes' },
      namespace: 'team-a',
      operation: 'CREATE',
      object: {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: 'github', namespace: 'team-a', annotations: { [`${P}registry-export`]: 'true', [`${P}registry-description`]: 'GitHub' } },
        spec: { parentRefs: [{ name: 'public', namespace: 'infra' }], rules: [] },
      },
    },
  };
  const answer = await client.post('/validate', review);
  expect(answer.status).toBe(200);
  expect(answer.json.response).toMatchObject({ uid: 'e2e-1', allowed: false });
  expect(answer.json.response.status.message).toBe(
    'HTTPRoute team-a/github: parentRef Gateway infra/public: no listener admits the route: listener http only admits routes from namespace infra',
  );

  child.kill('SIGTERM');
  const code = await new Promise((resolve) => child.once('exit', resolve));
  expect(code).toBe(0);
});
