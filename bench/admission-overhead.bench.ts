// What the webhooks add to a write through a real kube-apiserver: the median (and p90) of
// many server-side dry-run creates of an annotated HTTPRoute, without and with the
// Validating/MutatingWebhookConfigurations registered. The two phases run a few seconds
// apart, so on a shared machine load that comes or goes between them moves the difference;
// a third phase pairs, with the webhooks registered, each annotated create with one of the
// same route without registry annotations (matchConditions skip both webhooks for it), in
// alternating order: the median of those differences is the overhead under the same load.
// Run: npm run bench:admission (BENCH_REQUESTS sets the number of creates per phase, default 300).
// Goal: median added latency < 3 ms.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { createAdmissionServer } from '../src/admission/server.ts';
import { clusterCacheContextProvider } from '../src/cli/webhook-command.ts';
import { DEFAULT_CONTRACT_OPTIONS } from '../src/contract/types.ts';
import { ClusterCache } from '../src/kubernetes/cluster-cache.ts';
import { startControlPlane } from '../test/support/control-plane.ts';
import { createThrowawayCA } from '../test/support/throwaway-pki.ts';
import { loopbackWebhookConfigurations } from '../test/support/webhook-configurations.ts';

const REQUESTS = Number(process.env['BENCH_REQUESTS'] ?? 300);
const GOAL_MS = 3;
const P = 'toolhive.stacklok.dev/';

const route = {
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: {
    generateName: 'bench-',
    namespace: 'default',
    annotations: {
      [`${P}registry-export`]: 'true',
      [`${P}registry-description`]: 'GitHub MCP server for production use',
      [`${P}registry-tier`]: 'official',
      [`${P}registry-tags`]: 'github, vcs, production',
      [`${P}registry-tools`]: 'create_pr,merge_pr,list_issues',
    },
  },
  spec: {
    parentRefs: [{ name: 'public' }],
    hostnames: ['mcp.company.com'],
    rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/github' } }], backendRefs: [{ name: 'mcp-github-proxy', port: 8080 }] }],
  },
};

// The same route and about the same bytes, without a registry annotation: no webhook is called.
const unannotatedRoute = {
  ...route,
  metadata: {
    ...route.metadata,
    annotations: Object.fromEntries(Object.entries(route.metadata.annotations).map(([key, value]) => [key.replace(P, 'example.com/'), value])),
  },
};

type HandlingTimes = Record<'mutate' | 'validate', { sum: number; count: number }>;

async function handlingTimes(registry: Registry): Promise<HandlingTimes> {
  const times: HandlingTimes = { mutate: { sum: 0, count: 0 }, validate: { sum: 0, count: 0 } };
  const histogram = (await registry.getMetricsAsJSON()).find((metric) => metric.name === 'mcp_registry_export_admission_duration_seconds');
  // Histogram values carry metricName (_bucket, _sum, _count), which prom-client's types omit.
  for (const value of (histogram?.values ?? []) as { metricName?: string; value: number; labels: Partial<Record<string, string | number>> }[]) {
    const operation = value.labels['operation'];
    if (operation !== 'mutate' && operation !== 'validate') continue;
    if (value.metricName?.endsWith('_sum')) times[operation].sum += value.value;
    if (value.metricName?.endsWith('_count')) times[operation].count += value.value;
  }
  return times;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

async function main(): Promise<void> {
  const cluster = await startControlPlane();
  const agent = new https.Agent({ keepAlive: true, ca: cluster.caPem, maxSockets: 1 });
  const body = JSON.stringify(route);
  const createOnce = (requestBody = body) =>
    new Promise<number>((resolve, reject) => {
      const started = performance.now();
      const request = https.request(
        `${cluster.server}/apis/gateway.networking.k8s.io/v1/namespaces/default/httproutes?dryRun=All`,
        { method: 'POST', agent, headers: { authorization: `Bearer ${cluster.token}`, 'content-type': 'application/json' } },
        (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString()));
          response.on('end', () => (response.statusCode === 201 ? resolve(performance.now() - started) : reject(new Error(`${response.statusCode}: ${text}`))));
        },
      );
      request.on('error', reject);
      request.end(requestBody);
    });
  const measure = async (label: string) => {
    for (let i = 0; i < 20; i++) await createOnce(); // warm-up
    const samples: number[] = [];
    for (let i = 0; i < REQUESTS; i++) samples.push(await createOnce());
    samples.sort((a, b) => a - b);
    const figures = { median: percentile(samples, 0.5), p90: percentile(samples, 0.9), p99: percentile(samples, 0.99) };
    console.log(`${label.padEnd(22)} median ${figures.median.toFixed(2)} ms  p90 ${figures.p90.toFixed(2)} ms  p99 ${figures.p99.toFixed(2)} ms  (n=${REQUESTS})`);
    return figures;
  };

  const certDir = mkdtempSync(join(tmpdir(), 'mcp-registry-export-bench-'));
  const cache = new ClusterCache({ kubeconfigPath: cluster.kubeconfigPath });
  try {
    const without = await measure('without webhooks');
    const ca = createThrowawayCA();
    const serving = ca.issue();
    writeFileSync(join(certDir, 'tls.crt'), serving.certPem);
    writeFileSync(join(certDir, 'tls.key'), serving.keyPem);
    cache.start();
    await cache.waitForSync(60_000);
    const webhook = await createAdmissionServer({
      port: 0,
      host: '127.0.0.1',
      certFile: join(certDir, 'tls.crt'),
      keyFile: join(certDir, 'tls.key'),
      contextProvider: clusterCacheContextProvider(cache, DEFAULT_CONTRACT_OPTIONS),
    });
    const { port } = await webhook.listen();
    const applied = await cluster.kubectl(['apply', '-f', '-'], { input: loopbackWebhookConfigurations(port, ca.certPem) });
    if (applied.code !== 0) throw new Error(applied.stderr);
    // Wait until the API server calls the webhooks (its configuration informer lags a little).
    const before = webhook.metrics.registry;
    for (let i = 0; ; i++) {
      await createOnce();
      const text = await before.metrics();
      if (/mcp_registry_export_admission_requests_total\{[^}]*operation="validate"/.test(text)) break;
      if (i > 200) throw new Error('the API server never called the webhooks');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const seen = await handlingTimes(webhook.metrics.registry);
    const withHooks = await measure('with both webhooks');
    // How much of the overhead is our handler, and how much the API server's calls to it.
    const after = await handlingTimes(webhook.metrics.registry);
    for (const operation of ['mutate', 'validate'] as const) {
      const count = after[operation].count - seen[operation].count;
      const mean = count > 0 ? ((after[operation].sum - seen[operation].sum) / count) * 1000 : NaN;
      console.log(`webhook /${operation.padEnd(8)}      mean handling ${mean.toFixed(3)} ms over ${count} calls (from its own histogram)`);
    }
    const phases = withHooks.median - without.median;
    console.log(`admission overhead     median +${phases.toFixed(2)} ms  p90 +${(withHooks.p90 - without.p90).toFixed(2)} ms`);
    // Paired: annotated and unannotated creates interleaved (ABBA), webhooks registered.
    const unannotatedBody = JSON.stringify(unannotatedRoute);
    for (let i = 0; i < 20; i++) await createOnce(unannotatedBody); // warm-up
    const differences: number[] = [];
    const annotated: number[] = [];
    const unannotated: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      let withWebhooks: number;
      let withoutCalls: number;
      if (i % 2 === 0) {
        withWebhooks = await createOnce();
        withoutCalls = await createOnce(unannotatedBody);
      } else {
        withoutCalls = await createOnce(unannotatedBody);
        withWebhooks = await createOnce();
      }
      annotated.push(withWebhooks);
      unannotated.push(withoutCalls);
      differences.push(withWebhooks - withoutCalls);
    }
    for (const samples of [differences, annotated, unannotated]) samples.sort((x, y) => x - y);
    const paired = percentile(differences, 0.5);
    console.log(
      `paired (n=${REQUESTS})           median +${paired.toFixed(2)} ms of the differences (annotated median ${percentile(annotated, 0.5).toFixed(2)} ms, unannotated ${percentile(unannotated, 0.5).toFixed(2)} ms)`,
    );
    for (const [label, value] of [['phases', phases], ['paired', paired]] as const) {
      console.log(`goal (median added latency < ${GOAL_MS} ms), ${label}: ${value < GOAL_MS ? 'met' : 'MISSED'} (+${value.toFixed(2)} ms)`);
    }
    await webhook.shutdown();
  } finally {
    cache.stop();
    agent.destroy();
    await cluster.stop();
    rmSync(certDir, { recursive: true, force: true });
  }
}

await main();
