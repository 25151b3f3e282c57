// The admission webhooks through a real kube-apiserver and the real kubectl: the shipped
// Validating/MutatingWebhookConfigurations (webhook-config/) registered with
// clientConfig.url + caBundle, the webhook server on loopback with a test CA, and its
// look-ups answered from informer caches of the same cluster.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { createAdmissionServer, type AdmissionServer } from '../../src/admission/server.ts';
import { clusterCacheContextProvider } from '../../src/cli/webhook-command.ts';
import { DEFAULT_CONTRACT_OPTIONS } from '../../src/contract/types.ts';
import { ClusterCache } from '../../src/kubernetes/cluster-cache.ts';
import { startControlPlane, type ControlPlane } from '../support/control-plane.ts';
import { createThrowawayCA } from '../support/throwaway-pki.ts';
import { loopbackWebhookConfigurations, VALIDATING_WEBHOOK_NAME } from '../support/webhook-configurations.ts';

const P = 'toolhive.stacklok.dev/';
const VALIDATING = VALIDATING_WEBHOOK_NAME;

let cluster: ControlPlane;
let cache: ClusterCache;
let webhook: AdmissionServer;
let certDir: string;

async function apply(manifest: string, ...flags: string[]) {
  return cluster.kubectl(['apply', ...flags, '-f', '-'], { input: manifest });
}

async function getJson(resource: string, namespace: string, name: string) {
  const result = await cluster.kubectl(['get', resource, name, '-n', namespace, '-o', 'json']);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
}

function route(namespace: string, name: string, annotations: Record<string, string>, spec: object = {}): string {
  return stringify({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name, namespace, annotations },
    spec: { parentRefs: [{ name: 'public', namespace: 'gateway-system' }], rules: [{ backendRefs: [{ name: 'mcp-github-proxy', port: 8080 }] }], ...spec },
  });
}

function mcpServer(namespace: string, name: string, annotations: Record<string, string>): string {
  return stringify({
    apiVersion: 'toolhive.stacklok.dev/v1beta1',
    kind: 'MCPServer',
    metadata: { name, namespace, annotations },
    spec: { image: 'ghcr.io/github/github-mcp-server:v1.0.0', transport: 'streamable-http' },
  });
}

function serverEntry(namespace: string, name: string, annotations: Record<string, string>, apiVersion = 'toolhive.stacklok.dev/v1beta1'): string {
  return stringify({
    apiVersion,
    kind: 'MCPServerEntry',
    metadata: { name, namespace, annotations },
    spec: { remoteUrl: 'https://mcp.deepwiki.com/mcp', transport: 'streamable-http', groupRef: { name: 'remote' } },
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const GATEWAY = `
apiVersion: v1
kind: Namespace
metadata:
  name: gateway-system
---
apiVersion: v1
kind: Namespace
metadata:
  name: team-a
---
apiVersion: v1
kind: Namespace
metadata:
  name: team-b
  labels:
    mcp-exports: allowed
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: example
spec:
  controllerName: example.com/gateway-controller
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: public
  namespace: gateway-system
spec:
  gatewayClassName: example
  listeners:
    - name: http
      port: 80
      protocol: HTTP
      allowedRoutes:
        namespaces:
          from: Selector
          selector:
            matchLabels:
              mcp-exports: allowed
`;

beforeAll(async () => {
  cluster = await startControlPlane();
  const ca = createThrowawayCA();
  const serving = ca.issue();
  certDir = mkdtempSync(join(tmpdir(), 'mcp-registry-export-webhook-'));
  writeFileSync(join(certDir, 'tls.crt'), serving.certPem);
  writeFileSync(join(certDir, 'tls.key'), serving.keyPem);

  const created = await apply(GATEWAY, '--server-side');
  expect(created.code, created.stderr).toBe(0);

  cache = new ClusterCache({ kubeconfigPath: cluster.kubeconfigPath });
  cache.start();
  await cache.waitForSync(60_000);

  webhook = await createAdmissionServer({
    port: 0,
    host: '127.0.0.1',
    certFile: join(certDir, 'tls.crt'),
    keyFile: join(certDir, 'tls.key'),
    contextProvider: clusterCacheContextProvider(cache, DEFAULT_CONTRACT_OPTIONS),
  });
  const { port } = await webhook.listen();
  const registered = await apply(loopbackWebhookConfigurations(port, ca.certPem));
  expect(registered.code, registered.stderr).toBe(0);

  // The API server picks up webhook configurations asynchronously: wait until it calls us.
  await until('the webhooks to be active', async () => {
    const probe = await apply(route('team-a', 'probe', { [`${P}registry-tier`]: 'Gold' }), '--dry-run=server');
    return probe.code !== 0 && probe.stderr.includes(VALIDATING) ? true : undefined;
  });
  await until('the cache to see the Gateway', () => (cache.get('Gateway', 'gateway-system', 'public') ? true : undefined));
}, 300_000);

afterAll(async () => {
  await webhook?.shutdown();
  cache?.stop();
  await cluster?.stop();
  if (certDir) rmSync(certDir, { recursive: true, force: true });
});

// Bad manifests of the contract: [what, manifest, annotation key, part of the rule]
const BAD: [string, () => string, string, string][] = [
  ['tier outside the enum', () => route('team-a', 'bad-tier', { [`${P}registry-tier`]: 'Gold' }), 'registry-tier', '"Gold" is not one of Official, Community, Partner'],
  ['a typo in a key', () => route('team-a', 'bad-key', { [`${P}registry-teir`]: 'Official' }), 'registry-teir', 'did you mean registry-tier?'],
  ['a bad tag list', () => route('team-a', 'bad-tags', { [`${P}registry-tags`]: 'ok,-bad' }), 'registry-tags', 'does not match'],
  ['registry-url on a route', () => route('team-a', 'bad-url', { [`${P}registry-url`]: 'https://x.example.com/mcp' }), 'registry-url', 'derived from its parent Gateway'],
  ['version latest', () => route('team-a', 'bad-version', { [`${P}registry-version`]: 'latest' }), 'registry-version', '"latest" is not allowed'],
  ['a URL with userinfo', () => mcpServer('team-a', 'bad-url', { [`${P}registry-url`]: 'https://u:p@x.example.com/mcp' }), 'registry-url', 'must not carry user information'],
  ['tools that are not JSON', () => mcpServer('team-a', 'bad-tools', { [`${P}tools`]: 'create_pr' }), 'tools', 'must be a JSON array'],
  ['a bad registry name', () => mcpServer('team-a', 'bad-name', { [`${P}registry-name`]: 'a/b/c' }), 'registry-name', 'exactly one "/"'],
];

describe('admission through the real API server', () => {
  it.each(BAD)('rejects %s, naming object, annotation and rule (apply and --dry-run=server)', async (_what, manifest, key, rule) => {
    for (const flags of [[], ['--dry-run=server']]) {
      const result = await apply(manifest(), ...flags);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(`admission webhook "${VALIDATING}" denied the request`);
      expect(result.stderr).toMatch(/(HTTPRoute|MCPServer) team-a\/bad-[a-z]+: annotation /);
      expect(result.stderr).toContain(`${P}${key}`);
      expect(result.stderr).toContain(rule);
    }
  });

  it('reports every problem of one object, one per line', async () => {
    const result = await apply(route('team-a', 'many', { [`${P}registry-tier`]: 'Gold', [`${P}registry-version`]: '^1.0.0' }));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('HTTPRoute team-a/many: annotation toolhive.stacklok.dev/registry-tier: "Gold" is not one of Official, Community, Partner\n');
    expect(result.stderr).toContain('HTTPRoute team-a/many: annotation toolhive.stacklok.dev/registry-version: "^1.0.0" is a version range');
  });

  it('admits good manifests and stores the normalized annotations', async () => {
    const applied = await apply(
      mcpServer('team-a', 'github', {
        [`${P}registry-export`]: ' TRUE ',
        [`${P}registry-url`]: ' https://github.company.com/mcp ',
        [`${P}registry-tier`]: 'official',
        [`${P}registry-tags`]: 'GitHub, vcs,,github',
        [`${P}registry-description`]: '  GitHub MCP server  ',
        'example.com/other': ' left alone ',
      }),
    );
    expect(applied.code, applied.stderr).toBe(0);
    const stored = await getJson('mcpservers.toolhive.stacklok.dev', 'team-a', 'github');
    expect(stored.metadata.annotations).toMatchObject({
      [`${P}registry-export`]: 'true',
      [`${P}registry-url`]: 'https://github.company.com/mcp',
      [`${P}registry-tier`]: 'Official',
      [`${P}registry-tags`]: 'github,vcs',
      [`${P}registry-description`]: 'GitHub MCP server',
      'example.com/other': ' left alone ',
    });
    // A dry run admits the same and changes nothing in storage.
    const dryRun = await apply(mcpServer('team-a', 'github-dry', { [`${P}registry-tier`]: 'community' }), '--dry-run=server', '-o', 'json');
    expect(dryRun.code, dryRun.stderr).toBe(0);
    expect(JSON.parse(dryRun.stdout).metadata.annotations[`${P}registry-tier`]).toBe('Community');
    expect((await cluster.kubectl(['get', 'mcpservers.toolhive.stacklok.dev', 'github-dry', '-n', 'team-a'])).code).not.toBe(0);
  });

  it('rejects a cross-namespace parentRef the Gateway listeners do not allow, and admits it from a selected namespace', async () => {
    const exported = { [`${P}registry-export`]: 'true', [`${P}registry-description`]: 'GitHub' };
    const denied = await apply(route('team-a', 'cross', exported));
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain(
      'HTTPRoute team-a/cross: parentRef Gateway gateway-system/public: no listener admits the route: listener http does not admit namespace team-a (label selector)',
    );
    const admitted = await apply(route('team-b', 'cross', exported));
    expect(admitted.code, admitted.stderr).toBe(0);
    // Labelling team-a later makes the same route admissible, as the cache follows the cluster.
    expect((await cluster.kubectl(['label', 'namespace', 'team-a', 'mcp-exports=allowed'])).code).toBe(0);
    await until('the cache to see the label', () =>
      cache.get('Namespace', '', 'team-a')?.metadata?.labels?.['mcp-exports'] === 'allowed' ? true : undefined,
    );
    const nowAdmitted = await apply(route('team-a', 'cross', exported));
    expect(nowAdmitted.code, nowAdmitted.stderr).toBe(0);
  });

  it('warns (but admits) when the parent Gateway is not known yet', async () => {
    const result = await apply(
      route('team-b', 'later', { [`${P}registry-export`]: 'true', [`${P}registry-description`]: 'x' }, { parentRefs: [{ name: 'not-yet', namespace: 'gateway-system' }] }),
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('Warning: ');
    expect(result.stderr).toContain('Gateway is not known (yet)');
  });
});

describe('MCPServerEntry through the real API server', () => {
  it('is judged (v1beta1 and v1alpha1), stored normalized, and its registry name counts against other namespaces', async () => {
    for (const apiVersion of ['toolhive.stacklok.dev/v1beta1', 'toolhive.stacklok.dev/v1alpha1']) {
      const denied = await apply(serverEntry('team-a', 'bad-entry', { [`${P}registry-tier`]: 'Gold' }, apiVersion));
      expect(denied.code).not.toBe(0);
      expect(denied.stderr).toContain(`admission webhook "${VALIDATING}" denied the request`);
      expect(denied.stderr).toContain(`MCPServerEntry team-a/bad-entry: annotation ${P}registry-tier: "Gold" is not one of Official, Community, Partner`);
    }
    const applied = await apply(serverEntry('team-a', 'deepwiki', { [`${P}registry-export`]: 'True', [`${P}registry-tier`]: 'community', [`${P}registry-name`]: 'io.github.example/deepwiki', [`${P}registry-description`]: ' DeepWiki ' }));
    expect(applied.code, applied.stderr).toBe(0);
    const stored = await getJson('mcpserverentries.toolhive.stacklok.dev', 'team-a', 'deepwiki');
    expect(stored.metadata.annotations).toMatchObject({ [`${P}registry-export`]: 'true', [`${P}registry-tier`]: 'Community', [`${P}registry-description`]: 'DeepWiki' });
    // The webhook's cache watches MCPServerEntries: another namespace may not take the name.
    await until('the cache to see the MCPServerEntry', () => (cache.get('MCPServerEntry', 'team-a', 'deepwiki') ? true : undefined));
    const rival = await apply(mcpServer('team-b', 'deepwiki', { [`${P}registry-export`]: 'true', [`${P}registry-name`]: 'io.github.example/deepwiki', [`${P}registry-url`]: 'https://wiki.example.com/mcp', [`${P}registry-description`]: 'x' }));
    expect(rival.code).not.toBe(0);
    expect(rival.stderr).toContain('MCPServer team-b/deepwiki: registry name io.github.example/deepwiki belongs to namespace team-a (claimed by MCPServerEntry team-a/deepwiki)');
  });
});

describe('admission that never holds the cluster hostage', () => {
  it('keeps an admitted object updatable when its registry name is later claimed twice, and never judges one being deleted', async () => {
    const claim = { [`${P}registry-export`]: 'true', [`${P}registry-name`]: 'io.example/twice', [`${P}registry-url`]: 'https://twice.example.com/mcp', [`${P}registry-description`]: 'x' };
    const withFinalizer = (namespace: string, name: string, annotations: Record<string, string>) =>
      stringify({ ...parseYaml(mcpServer(namespace, name, annotations)), metadata: { name, namespace, annotations, finalizers: ['toolhive.stacklok.dev/finalizer'] } });
    const resource = 'mcpservers.toolhive.stacklok.dev';
    // team-b claims the name first (admitted); kube-system, which the webhook never sees, claims it too.
    const first = await apply(withFinalizer('team-b', 'twice', claim));
    expect(first.code, first.stderr).toBe(0);
    const second = await apply(mcpServer('kube-system', 'twice', claim));
    expect(second.code, second.stderr).toBe(0);
    await until('the cache to see both claims', () => (cache.get('MCPServer', 'kube-system', 'twice') && cache.get('MCPServer', 'team-b', 'twice') ? true : undefined));
    const CLAIM = 'registry name io.example/twice belongs to namespace kube-system';
    // A change to what the name check reads is denied...
    const changed = await cluster.kubectl(['annotate', '--overwrite', resource, 'twice', '-n', 'team-b', `${P}registry-description=y`]);
    expect(changed.code).not.toBe(0);
    expect(changed.stderr).toContain(CLAIM);
    // ...but removing the finalizer (as ToolHive's operator does) is admitted, with the conflict as a warning.
    const unfinalized = await cluster.kubectl(['patch', resource, 'twice', '-n', 'team-b', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]']);
    expect(unfinalized.code, unfinalized.stderr).toBe(0);
    expect(unfinalized.stderr).toContain(CLAIM);
    expect((await getJson(resource, 'team-b', 'twice')).metadata.finalizers).toBeUndefined();
    const refinalized = await cluster.kubectl(['patch', resource, 'twice', '-n', 'team-b', '--type=merge', '-p', '{"metadata":{"finalizers":["toolhive.stacklok.dev/finalizer"]}}']);
    expect(refinalized.code, refinalized.stderr).toBe(0);

    // Being deleted: the validating webhook is not even asked (matchConditions), whatever the annotations say.
    const validated = async () =>
      (await webhook.metrics.registry.getSingleMetricAsString('mcp_registry_export_admission_requests_total'))
        .split('\n')
        .filter((line) => line.includes('operation="validate"') && line.includes('kind="MCPServer"'))
        .join('\n');
    const deleted = await cluster.kubectl(['delete', resource, 'twice', '-n', 'team-b', '--wait=false']);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect((await getJson(resource, 'team-b', 'twice')).metadata.deletionTimestamp).toBeDefined();
    const before = await validated();
    const leaving = await cluster.kubectl(['annotate', '--overwrite', resource, 'twice', '-n', 'team-b', `${P}registry-tier=Gold`]);
    expect(leaving.code, leaving.stderr).toBe(0);
    const gone = await cluster.kubectl(['patch', resource, 'twice', '-n', 'team-b', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]']);
    expect(gone.code, gone.stderr).toBe(0);
    expect(await validated()).toBe(before);
    await until('the object to be gone', async () => ((await cluster.kubectl(['get', resource, 'twice', '-n', 'team-b'])).code !== 0 ? true : undefined));
    expect((await cluster.kubectl(['delete', resource, 'twice', '-n', 'kube-system'])).code).toBe(0);
  });
});

describe('what the webhooks never intercept', () => {
  it('status updates, deletes and unannotated objects pass with the webhook down; annotated writes follow failurePolicy', async () => {
    const annotated = mcpServer('team-b', 'kept', { [`${P}registry-tier`]: 'Official' });
    expect((await apply(annotated)).code).toBe(0);
    await webhook.shutdown();

    // Not registry-annotated: matchConditions keep it away from the webhook entirely.
    const plain = await apply(mcpServer('team-b', 'plain', { 'example.com/owner': 'team-b' }));
    expect(plain.code, plain.stderr).toBe(0);
    // Annotated: the validating webhook fails closed (failurePolicy Fail).
    const blocked = await apply(mcpServer('team-b', 'kept', { [`${P}registry-tier`]: 'Community' }));
    expect(blocked.code).not.toBe(0);
    expect(blocked.stderr).toContain(`failed calling webhook "${VALIDATING}"`);
    // A status update of the annotated object is not intercepted.
    const status = await cluster.kubectl([
      'patch', 'mcpservers.toolhive.stacklok.dev', 'kept', '-n', 'team-b', '--subresource=status', '--type=merge', '-p', '{"status":{"message":"ok"}}',
    ]);
    expect(status.code, status.stderr).toBe(0);
    // Nor is its deletion.
    const deleted = await cluster.kubectl(['delete', 'mcpservers.toolhive.stacklok.dev', 'kept', '-n', 'team-b', '--wait=false']);
    expect(deleted.code, deleted.stderr).toBe(0);
  });
});
