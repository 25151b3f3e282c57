// `npm run demo`: the whole product on this machine. Builds (once) and starts a real
// kube-apiserver + etcd and the upstream MCP registry on embedded PostgreSQL, runs
// `mcp-registry-export run` (webhook + publisher) against them, applies examples/ (one
// object is rejected by the webhook), writes the route status a Gateway controller would,
// prints what the registry then holds, and shuts everything down.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureControlPlaneBinaries, repoRoot, startControlPlane } from '../test/support/control-plane.ts';
import { acceptRoute } from '../test/support/publisher-cluster.ts';
import { ensureRegistryBinary, startRegistry } from '../test/support/registry-server.ts';
import { createThrowawayCA } from '../test/support/throwaway-pki.ts';
import { loopbackWebhookConfigurations } from '../test/support/webhook-configurations.ts';
import { freePort } from '../test/support/free-port.ts';

const t0 = Date.now();
const say = (line: string) => process.stdout.write(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${line}\n`);

async function step<T>(what: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  say(`${what} ...`);
  const result = await work();
  say(`${what}: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return result;
}


await step('kube-apiserver + etcd binaries (the first build takes about 8 minutes)', ensureControlPlaneBinaries);
await step('MCP registry v1.8.9 binary (the first build takes about a minute)', ensureRegistryBinary);
const [cluster, registry] = await step('starting kube-apiserver, etcd, PostgreSQL and the registry', () => Promise.all([startControlPlane(), startRegistry()]));
const dir = mkdtempSync(join(tmpdir(), 'mcp-registry-export-demo-'));
let run: ReturnType<typeof spawn> | undefined;
try {
  const ca = createThrowawayCA();
  const serving = ca.issue();
  writeFileSync(join(dir, 'tls.crt'), serving.certPem);
  writeFileSync(join(dir, 'tls.key'), serving.keyPem);
  // The demo's registry signs tokens with a seed we know: one for the default name prefix.
  writeFileSync(join(dir, 'token'), registry.mintToken([{ action: 'publish', resource: 'com.toolhive.k8s.*' }], 3600));
  const port = await freePort();
  const args = ['src/cli/main.ts', 'run', '--port', String(port), '--tls-cert', join(dir, 'tls.crt'), '--tls-key', join(dir, 'tls.key'), '--kubeconfig', cluster.kubeconfigPath,
    '--registry-url', registry.url, '--registry-auth', 'token', '--registry-token-file', join(dir, 'token'), '--log-level', 'info'];
  say(`mcp-registry-export ${args.slice(1).join(' ')}`);
  run = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  run.stdout!.on('data', (chunk) => {
    log += chunk;
    for (const line of String(chunk).split('\n').filter(Boolean)) {
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        if (['published', 'updated', 'retired'].includes(String(entry['msg']))) say(`  publisher: ${entry['msg']} ${entry['registryName']}@${entry['version']}`);
      } catch {
        // not a log line
      }
    }
  });
  run.stderr!.on('data', (chunk) => (log += chunk));
  await step('waiting for the webhook and publisher to be ready', async () => {
    const { httpsClient } = await import('../test/support/https-client.ts');
    const client = httpsClient(port, ca.certPem);
    try {
      for (let i = 0; ; i++) {
        if ((await client.get('/readyz').catch(() => undefined))?.status === 200) return;
        if (i > 600 || run!.exitCode !== null) throw new Error(`run did not become ready:\n${log}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      client.close();
    }
  });
  const hooks = await cluster.kubectl(['apply', '-f', '-'], { input: loopbackWebhookConfigurations(port, ca.certPem) });
  if (hooks.code !== 0) throw new Error(hooks.stderr);
  say('kubectl apply -f examples/ -f examples/rejected/ (the webhook judges every annotated object)');
  const applied = await cluster.kubectl(['apply', '-f', join(repoRoot, 'examples'), '-f', join(repoRoot, 'examples', 'rejected')]);
  for (const line of `${applied.stdout}${applied.stderr}`.split('\n').filter(Boolean)) say(`  ${line}`);
  say('writing the HTTPRoute status as a Gateway controller would (Accepted)');
  await acceptRoute(cluster, 'github');
  const holdings = await step('waiting for the registry to hold the entries', async () => {
    for (let i = 0; ; i++) {
      const response = await fetch(`${registry.url}/v0.1/servers?search=com.toolhive.k8s.&version=latest`);
      const body = (await response.json()) as { servers: { server: { name: string; version: string; remotes?: { url: string }[] } }[] };
      if (body.servers.length >= 3 || i > 100) return body.servers;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  });
  say('the registry now holds (GET /v0.1/servers?version=latest):');
  for (const { server } of holdings) say(`  ${server.name}  ${server.version}  ${(server.remotes ?? []).map((r) => r.url).join(', ')}`);
} finally {
  if (run && run.exitCode === null) {
    const exited = new Promise((resolve) => run!.once('exit', resolve));
    run.kill('SIGTERM');
    await exited;
  }
  await step('shutting down', async () => {
    await Promise.all([cluster.stop(), registry.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });
}
