// The Helm chart and the plain manifests against a real kube-apiserver with real helm and
// kubectl: every rendered object of every values variant is accepted by the API server
// (`kubectl apply --dry-run=server`; cert-manager's and prometheus-operator's official CRDs
// installed for their kinds), `helm install` creates what it should, and neither
// `helm upgrade` nor a re-apply of webhook-config/ drops a caBundle injected after install.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, type ControlPlane } from '../support/control-plane.ts';
import { chartDir, extraCrdFiles, helmTemplate, parseObjects, TEST_REGISTRY_URL, valuesFileArgs, type KubeObject } from '../support/helm-chart.ts';
import { createThrowawayCA } from '../support/throwaway-pki.ts';
import { manifestsDir } from '../../scripts/render-manifests.ts';

const NS = 'mre-system';
const RELEASE = 'mre';
const FULLNAME = 'mre-mcp-registry-export';
const WEBHOOK_KINDS = ['validatingwebhookconfiguration', 'mutatingwebhookconfiguration'] as const;

let cp: ControlPlane;

async function kubectlOk(args: string[], input?: string): Promise<string> {
  const result = await cp.kubectl(args, input === undefined ? {} : { input });
  expect(result.code, `kubectl ${args.join(' ')}\n${result.stderr}`).toBe(0);
  return result.stdout;
}

async function getJson<T = Record<string, unknown>>(...args: string[]): Promise<T> {
  return JSON.parse(await kubectlOk(['get', ...args, '-o', 'json'])) as T;
}

beforeAll(async () => {
  cp = await startControlPlane();
  const crds = await extraCrdFiles();
  await kubectlOk(['apply', '--server-side', ...[...crds.certManager, ...crds.serviceMonitor].flatMap((f) => ['-f', f])]);
  await kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', 'crd/certificates.cert-manager.io', 'crd/issuers.cert-manager.io', 'crd/servicemonitors.monitoring.coreos.com']);
  await kubectlOk(['create', 'namespace', NS]);
});

afterAll(async () => {
  await cp?.stop();
});

describe('kubectl apply --dry-run=server of every rendered object', () => {
  const url = { registry: { url: TEST_REGISTRY_URL } };
  it.each([
    ['the default values', url],
    ['cert-manager mode (Issuers, Certificates, inject-ca-from)', { ...url, certificates: { mode: 'cert-manager' } }],
    ['cert-manager mode with an existing ClusterIssuer', { ...url, certificates: { mode: 'cert-manager', certManager: { issuerRef: { name: 'corp-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' } } } }],
    ['the toolhive flavor with token auth', { registry: { url: TEST_REGISTRY_URL, flavor: 'toolhive', auth: { mode: 'token', existingSecret: 'registry-token' } } }],
    ['http auth', { registry: { url: TEST_REGISTRY_URL, auth: { mode: 'http', domain: 'example.com', existingSecret: 'registry-key' } } }],
    ['a ServiceMonitor', { ...url, metrics: { serviceMonitor: { enabled: true, labels: { release: 'prometheus' } } } }],
    ['metrics off', { ...url, metrics: { enabled: false } }],
    ['3 replicas', { ...url, replicaCount: 3 }],
    ['the host network on its own port', { ...url, hostNetwork: { enabled: true, port: 10443 } }],
    ['the publisher off', { publisher: { enabled: false } }],
    [
      'cleanupOnUninstall with token auth and every publishing option (the pre-delete hook Job)',
      {
        registry: { url: TEST_REGISTRY_URL, auth: { mode: 'token', existingSecret: 'registry-token' } },
        cleanupOnUninstall: true,
        publisher: { namespaces: ['team-a', 'team-b'], owner: 'cluster-1' },
        publishing: { holdGrace: '15m', policy: 'upsert-only', maxRetireFraction: 0.25, allowMassRetire: true, installation: 'prod/mre', adoptOwners: ['old-cluster', 'old-cluster/ns/lease'] },
      },
    ],
    [
      'every option that reaches a field',
      {
        ...url,
        publisher: { namespaces: ['team-a'], owner: 'cluster-1', dryRun: true },
        webhook: { timeoutSeconds: 30, excludeNamespaces: ['flux-system'], referentialChecks: 'warn' },
        networkPolicy: { from: [{ ipBlock: { cidr: '10.0.0.0/8' } }, { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }] },
        podDisruptionBudget: { maxUnavailable: '50%' },
        image: { digest: `sha256:${'a'.repeat(64)}` },
        imagePullSecrets: [{ name: 'pull' }],
        serviceAccount: { annotations: { 'example.com/role': 'x' } },
        priorityClassName: 'system-cluster-critical',
        tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }],
        topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'mcp-registry-export' } } }],
        podAnnotations: { 'example.com/a': 'b' },
        podLabels: { team: 'platform' },
        shutdown: { preStopSleepSeconds: 10, delaySeconds: 15, terminationGracePeriodSeconds: 60 },
      },
    ],
  ])('accepts %s', async (_name, values) => {
    const rendered = await helmTemplate(values, { release: RELEASE, namespace: NS });
    expect(rendered.code, rendered.stderr).toBe(0);
    const objects = parseObjects(rendered.stdout);
    const applied = await kubectlOk(['apply', '--dry-run=server', '-f', '-'], rendered.stdout);
    const lines = applied.trim().split('\n');
    expect(lines).toHaveLength(objects.length);
    for (const line of lines) expect(line).toMatch(/ (created|configured|unchanged) \(server dry run\)$/);
    if (objects.some((o) => o.kind === 'Certificate')) expect(applied).toContain(`certificate.cert-manager.io/${FULLNAME}-serving created (server dry run)`);
    if (objects.some((o) => o.kind === 'ServiceMonitor')) expect(applied).toContain(`servicemonitor.monitoring.coreos.com/${FULLNAME} created (server dry run)`);
    if (objects.some((o) => o.kind === 'Job')) expect(applied).toContain(`job.batch/${FULLNAME}-cleanup created (server dry run)`);
  });
});

describe('helm install, then helm upgrade', () => {
  let installOutput = '';

  beforeAll(async () => {
    const { args, cleanup } = valuesFileArgs({ registry: { url: TEST_REGISTRY_URL } });
    try {
      // No controllers run here, so nothing would ever become ready: do not wait.
      const install = await cp.helm(['install', RELEASE, chartDir, '--namespace', NS, ...args], { timeoutMs: 120_000 });
      expect(install.code, install.stderr).toBe(0);
      installOutput = install.stdout;
    } finally {
      cleanup();
    }
  });

  it('creates the Deployment, Service, ServiceAccount, RBAC, PDB and NetworkPolicy with their key fields', async () => {
    const deployment = await getJson<{ spec: { replicas: number; template: { spec: { serviceAccountName: string; containers: { args: string[]; ports: unknown[] }[] } } } }>('deployment', FULLNAME, '-n', NS);
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.template.spec.serviceAccountName).toBe(FULLNAME);
    expect(deployment.spec.template.spec.containers[0]).toMatchObject({ args: ['run'], ports: [{ name: 'https', containerPort: 8443, protocol: 'TCP' }] });

    const service = await getJson<{ spec: { ports: unknown[]; selector: Record<string, string> } }>('service', FULLNAME, '-n', NS);
    expect(service.spec.ports).toEqual([{ name: 'https', port: 443, targetPort: 'https', protocol: 'TCP' }]);
    expect(service.spec.selector).toEqual({ 'app.kubernetes.io/name': 'mcp-registry-export', 'app.kubernetes.io/instance': RELEASE });

    await getJson('serviceaccount', FULLNAME, '-n', NS);
    const clusterRole = await getJson<{ rules: { resourceNames?: string[] }[] }>('clusterrole', FULLNAME);
    expect(clusterRole.rules.find((rule) => rule.resourceNames)?.resourceNames).toEqual([FULLNAME]);
    const role = await getJson<{ rules: { resourceNames?: string[] }[] }>('role', FULLNAME, '-n', NS);
    expect(role.rules.flatMap((rule) => rule.resourceNames ?? [])).toEqual([FULLNAME, `${FULLNAME}-tls`]);
    const binding = await getJson<{ roleRef: { name: string }; subjects: unknown[] }>('clusterrolebinding', FULLNAME);
    expect(binding).toMatchObject({ roleRef: { name: FULLNAME }, subjects: [{ kind: 'ServiceAccount', name: FULLNAME, namespace: NS }] });
    const roleBinding = await getJson('rolebinding', FULLNAME, '-n', NS);
    expect(roleBinding).toMatchObject({ roleRef: { kind: 'Role', name: FULLNAME }, subjects: [{ kind: 'ServiceAccount', name: FULLNAME, namespace: NS }] });
    const pdb = await getJson('poddisruptionbudget', FULLNAME, '-n', NS);
    expect(pdb).toMatchObject({ spec: { maxUnavailable: 1 } });
    const policy = await getJson('networkpolicy', FULLNAME, '-n', NS);
    expect(policy).toMatchObject({ spec: { policyTypes: ['Ingress'], ingress: [{ ports: [{ port: 'https', protocol: 'TCP' }] }] } });
  });

  it('creates both webhook configurations, calling the Service, without a caBundle', async () => {
    for (const [kind, webhook, urlPath] of [
      ['validatingwebhookconfiguration', 'validate.annotations.mcp-registry-export.dev', '/validate'],
      ['mutatingwebhookconfiguration', 'mutate.annotations.mcp-registry-export.dev', '/mutate'],
    ] as const) {
      const config = await getJson<{ webhooks: { name: string; clientConfig: Record<string, unknown>; namespaceSelector: unknown }[] }>(kind, FULLNAME);
      expect(config.webhooks.map((w) => w.name)).toEqual([webhook]);
      expect(config.webhooks[0]!.clientConfig).toEqual({ service: { name: FULLNAME, namespace: NS, path: urlPath, port: 443 } });
      expect(config.webhooks[0]!.namespaceSelector).toEqual({ matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', NS] }] });
    }
  });

  it('lets the ServiceAccount get the kube-system Namespace (the default owner ID, all prune reads from the cluster)', async () => {
    const canI = await cp.kubectl(['auth', 'can-i', 'get', 'namespaces/kube-system', `--as=system:serviceaccount:${NS}:${FULLNAME}`]);
    expect(canI.stdout.trim(), canI.stderr).toBe('yes');
  });

  it('self-managed: lets the ServiceAccount patch its own webhook configurations (CA injection), no other', async () => {
    const as = `--as=system:serviceaccount:${NS}:${FULLNAME}`;
    for (const kind of WEBHOOK_KINDS) {
      expect((await cp.kubectl(['auth', 'can-i', 'patch', `${kind}s/${FULLNAME}`, as])).stdout.trim()).toBe('yes');
      expect((await cp.kubectl(['auth', 'can-i', 'patch', `${kind}s/someone-elses`, as])).stdout.trim()).toBe('no');
    }
  });

  it('prints NOTES that show how to see the first entries', () => {
    expect(installOutput).toContain('NOTES:');
    expect(installOutput).toContain('curl -s "$REGISTRY_URL/v0.1/servers?search=com.toolhive.k8s."');
    expect(installOutput).toContain('mcp-registry-export diff --registry-url "$REGISTRY_URL"');
  });

  it('keeps a caBundle injected into both webhook configurations across an upgrade that changes them', async () => {
    const caBundle = Buffer.from(createThrowawayCA('injected by the certificate controller').certPem).toString('base64');
    for (const kind of WEBHOOK_KINDS) {
      // What the certificate controller does: a patch of the one field, by its own field manager.
      await kubectlOk(['patch', kind, FULLNAME, '--type=json', '--field-manager=mcp-registry-export', '-p', JSON.stringify([{ op: 'add', path: '/webhooks/0/clientConfig/caBundle', value: caBundle }])]);
    }
    const upgrade = await cp.helm(['upgrade', RELEASE, chartDir, '--namespace', NS, '--reuse-values', '--set', 'webhook.timeoutSeconds=10', '--set', 'replicaCount=3'], { timeoutMs: 120_000 });
    expect(upgrade.code, upgrade.stderr).toBe(0);
    for (const kind of WEBHOOK_KINDS) {
      const config = await getJson<{ webhooks: { timeoutSeconds: number; clientConfig: { caBundle?: string } }[] }>(kind, FULLNAME);
      expect(config.webhooks[0]!.timeoutSeconds, `${kind} was upgraded`).toBe(10);
      expect(config.webhooks[0]!.clientConfig.caBundle, `${kind} caBundle`).toBe(caBundle);
    }
    const deployment = await getJson<{ spec: { replicas: number } }>('deployment', FULLNAME, '-n', NS);
    expect(deployment.spec.replicas).toBe(3);
  });
});

describe('cert-manager mode RBAC', () => {
  // A release of its own: cainjector writes the caBundle, so the pods may only read the
  // webhook configurations (a compromised pod cannot widen its own webhook).
  const CM_NS = 'mre-cert-manager';
  const CM_FULLNAME = 'mcm-mcp-registry-export';

  beforeAll(async () => {
    await kubectlOk(['create', 'namespace', CM_NS]);
    const { args, cleanup } = valuesFileArgs({ registry: { url: TEST_REGISTRY_URL }, certificates: { mode: 'cert-manager' } });
    try {
      const install = await cp.helm(['install', 'mcm', chartDir, '--namespace', CM_NS, ...args], { timeoutMs: 120_000 });
      expect(install.code, install.stderr).toBe(0);
    } finally {
      cleanup();
    }
  });

  it('lets the ServiceAccount read its webhook configurations but neither patch nor update them', async () => {
    const as = `--as=system:serviceaccount:${CM_NS}:${CM_FULLNAME}`;
    for (const kind of WEBHOOK_KINDS) {
      for (const verb of ['get', 'list', 'watch']) expect((await cp.kubectl(['auth', 'can-i', verb, `${kind}s/${CM_FULLNAME}`, as])).stdout.trim(), `${verb} ${kind}`).toBe('yes');
      for (const verb of ['patch', 'update', 'create', 'delete']) expect((await cp.kubectl(['auth', 'can-i', verb, `${kind}s/${CM_FULLNAME}`, as])).stdout.trim(), `${verb} ${kind}`).toBe('no');
    }
  });
});

describe('helm uninstall with cleanupOnUninstall', () => {
  // A release of its own, in a namespace of its own: the one above stays installed.
  const CLEANUP_NS = 'mre-cleanup';
  const CLEANUP_RELEASE = 'mrc';
  const CLEANUP_FULLNAME = 'mrc-mcp-registry-export';
  const JOB = `${CLEANUP_FULLNAME}-cleanup`;
  type Job = { metadata: { annotations: Record<string, string> }; spec: { template: { spec: { serviceAccountName: string; containers: { args: string[]; env: { name: string; value?: string }[] }[] } } } };

  beforeAll(async () => {
    await kubectlOk(['create', 'namespace', CLEANUP_NS]);
  });

  async function install(): Promise<void> {
    const { args, cleanup } = valuesFileArgs({
      registry: { url: TEST_REGISTRY_URL, auth: { mode: 'token', existingSecret: 'registry-token' } },
      cleanupOnUninstall: true,
      publisher: { namespaces: ['team-a'] },
      publishing: { installation: 'prod/mrc' },
    });
    try {
      const installed = await cp.helm(['install', CLEANUP_RELEASE, chartDir, '--namespace', CLEANUP_NS, ...args], { timeoutMs: 120_000 });
      expect(installed.code, installed.stderr).toBe(0);
    } finally {
      cleanup();
    }
    // A pre-delete hook: not created by the install.
    expect((await cp.kubectl(['get', 'job', JOB, '-n', CLEANUP_NS])).code).not.toBe(0);
  }

  /** `helm uninstall` in the background, and the hook Job once it exists. */
  async function startUninstall(): Promise<{ job: Job; uninstall: Promise<{ code: number; stdout: string; stderr: string }>; finished: () => boolean }> {
    let done = false;
    // No controller manager runs here, so the Job never runs by itself: Helm waits for it.
    const uninstall = cp.helm(['uninstall', CLEANUP_RELEASE, '--namespace', CLEANUP_NS, '--timeout', '90s'], { timeoutMs: 120_000 });
    void uninstall.finally(() => (done = true));
    let job: Job | undefined;
    for (let waited = 0; !job && waited < 60_000; waited += 250) {
      const got = await cp.kubectl(['get', 'job', JOB, '-n', CLEANUP_NS, '-o', 'json']);
      if (got.code === 0) job = JSON.parse(got.stdout) as Job;
      else await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(job, 'the pre-delete Job was created').toBeDefined();
    return { job: job!, uninstall, finished: () => done };
  }

  /** What the Job controller writes when the pod exits 0 (Complete) or the retries are spent (Failed). */
  async function finishJob(outcome: 'Complete' | 'Failed'): Promise<void> {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const condition = (type: string, reason: string) => ({ type, status: 'True', lastProbeTime: now, lastTransitionTime: now, reason, message: reason });
    const status =
      outcome === 'Complete'
        ? { startTime: now, completionTime: now, succeeded: 1, conditions: [condition('SuccessCriteriaMet', 'CompletionsReached'), condition('Complete', 'CompletionsReached')] }
        : { startTime: now, failed: 3, conditions: [condition('FailureTarget', 'BackoffLimitExceeded'), condition('Failed', 'BackoffLimitExceeded')] };
    await kubectlOk(['patch', 'job', JOB, '-n', CLEANUP_NS, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
  }

  it('runs the prune Job before deleting anything, under the ServiceAccount that still exists, and finishes the uninstall when it succeeds', async () => {
    await install();
    const { job, uninstall, finished } = await startUninstall();
    expect(job.metadata.annotations['helm.sh/hook']).toBe('pre-delete');
    const container = job.spec.template.spec.containers[0]!;
    // Not the publisher's --namespace set: leaving takes every entry of the installation.
    expect(container.args).toEqual(['prune']);
    expect(Object.fromEntries(container.env.map((e) => [e.name, e.value]))).toMatchObject({
      MCP_REGISTRY_EXPORT_REGISTRY_URL: TEST_REGISTRY_URL,
      MCP_REGISTRY_EXPORT_REGISTRY_TOKEN_FILE: '/etc/mcp-registry-export/registry/token',
      MCP_REGISTRY_EXPORT_LEASE_NAME: CLEANUP_FULLNAME,
      MCP_REGISTRY_EXPORT_INSTALLATION: 'prod/mrc',
    });
    // Everything the Job runs with is still there while it runs.
    expect(job.spec.template.spec.serviceAccountName).toBe(CLEANUP_FULLNAME);
    await getJson('serviceaccount', CLEANUP_FULLNAME, '-n', CLEANUP_NS);
    await getJson('deployment', CLEANUP_FULLNAME, '-n', CLEANUP_NS);
    const canI = await cp.kubectl(['auth', 'can-i', 'get', 'namespaces/kube-system', `--as=system:serviceaccount:${CLEANUP_NS}:${CLEANUP_FULLNAME}`]);
    expect(canI.stdout.trim(), canI.stderr).toBe('yes');
    expect(finished(), 'helm waits for the hook').toBe(false);

    await finishJob('Complete');
    const result = await uninstall;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`release "${CLEANUP_RELEASE}" uninstalled`);
    // hook-succeeded: the Job is deleted with the release.
    expect((await cp.kubectl(['get', 'job', JOB, '-n', CLEANUP_NS])).code).not.toBe(0);
    expect((await cp.kubectl(['get', 'deployment', CLEANUP_FULLNAME, '-n', CLEANUP_NS])).code).not.toBe(0);
  }, 180_000);

  it('a failed prune fails the uninstall and keeps the release and the Job; --no-hooks then uninstalls without it', async () => {
    await install();
    const { uninstall } = await startUninstall();
    await finishJob('Failed');
    const result = await uninstall;
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`Job/${CLEANUP_NS}/${JOB}`);
    expect(result.stderr).toContain('Failed');
    await getJson('job', JOB, '-n', CLEANUP_NS);
    await getJson('deployment', CLEANUP_FULLNAME, '-n', CLEANUP_NS);

    const forced = await cp.helm(['uninstall', CLEANUP_RELEASE, '--namespace', CLEANUP_NS, '--no-hooks'], { timeoutMs: 120_000 });
    expect(forced.code, forced.stderr).toBe(0);
    expect((await cp.kubectl(['get', 'deployment', CLEANUP_FULLNAME, '-n', CLEANUP_NS])).code).not.toBe(0);
  }, 180_000);
});

describe('webhook-config/ (plain manifests)', () => {
  it('applies for real, and a re-apply after a change keeps the injected caBundle', async () => {
    const applied = await kubectlOk(['apply', '-f', manifestsDir]);
    expect(applied).toContain('namespace/mcp-registry-export created');
    expect(applied).toContain('deployment.apps/mcp-registry-export created');
    expect(applied).toContain('validatingwebhookconfiguration.admissionregistration.k8s.io/mcp-registry-export created');
    expect(applied).toContain('mutatingwebhookconfiguration.admissionregistration.k8s.io/mcp-registry-export created');

    const caBundle = Buffer.from(createThrowawayCA('injected').certPem).toString('base64');
    for (const kind of WEBHOOK_KINDS) {
      await kubectlOk(['patch', kind, 'mcp-registry-export', '--type=json', '-p', JSON.stringify([{ op: 'add', path: '/webhooks/0/clientConfig/caBundle', value: caBundle }])]);
    }
    // A changed manifest re-applied (as a GitOps tool or an operator would).
    for (const file of ['validating-webhook.yaml', 'mutating-webhook.yaml']) {
      const objects = parseObjects(readFileSync(path.join(manifestsDir, file), 'utf8')) as (KubeObject & { webhooks: { timeoutSeconds: number }[] })[];
      objects[0]!.webhooks[0]!.timeoutSeconds = 7;
      await kubectlOk(['apply', '-f', '-'], JSON.stringify(objects[0]));
    }
    for (const kind of WEBHOOK_KINDS) {
      const config = await getJson<{ webhooks: { timeoutSeconds: number; clientConfig: { caBundle?: string } }[] }>(kind, 'mcp-registry-export');
      expect(config.webhooks[0]!.timeoutSeconds).toBe(7);
      expect(config.webhooks[0]!.clientConfig.caBundle, `${kind} caBundle`).toBe(caBundle);
    }
  });
});
