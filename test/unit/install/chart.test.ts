// The Helm chart with the real helm binary, no cluster: `helm lint --strict` and
// `helm template` for the default values and the non-default ones that change what is
// rendered, the values the schema or the templates refuse (with the message the operator
// reads), and NOTES.txt.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chartDir, helm, helmTemplate, only, renderChart, TEST_REGISTRY_URL, valuesFileArgs, type KubeObject } from '../../support/helm-chart.ts';

const NS = 'mcp-system';
const RELEASE = 'mre';
const FULLNAME = 'mre-mcp-registry-export';
const render = (values: object) => renderChart(values, { release: RELEASE, namespace: NS });
const withUrl = (values: object = {}) => merge({ registry: { url: TEST_REGISTRY_URL } }, values);

function merge(base: Record<string, unknown>, extra: object): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? merge(current, value) : value;
  }
  return out;
}
const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Container {
  args: string[];
  env: { name: string; value?: string; valueFrom?: unknown }[];
  ports: unknown[];
  securityContext: unknown;
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
  startupProbe: { httpGet: unknown; periodSeconds: number; failureThreshold: number };
  livenessProbe: { httpGet: unknown };
  readinessProbe: { httpGet: unknown };
  lifecycle?: { preStop?: unknown };
}
interface PodSpec {
  containers: Container[];
  volumes: { name: string; secret?: Record<string, unknown>; emptyDir?: unknown }[];
  securityContext: Record<string, unknown>;
  affinity: Record<string, unknown>;
  serviceAccountName: string;
  hostNetwork?: boolean;
  dnsPolicy?: string;
  terminationGracePeriodSeconds?: number;
}
const deployment = (objects: KubeObject[]) =>
  only(objects, 'Deployment') as KubeObject & { spec: { replicas: number; template: { metadata: { labels: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec } } };
const container = (objects: KubeObject[]) => deployment(objects).spec.template.spec.containers[0]!;
const env = (objects: KubeObject[]): Record<string, string | undefined> =>
  Object.fromEntries(container(objects).env.map((e) => [e.name, e.value]));
type Webhook = Record<string, unknown> & { clientConfig: Record<string, unknown> };
type CleanupJob = KubeObject & {
  spec: {
    backoffLimit: number;
    activeDeadlineSeconds: number;
    ttlSecondsAfterFinished: number;
    template: { metadata: { labels: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec & { restartPolicy: string; automountServiceAccountToken: boolean } };
  };
};
const cleanupJob = (objects: KubeObject[]) => only(objects, 'Job', `${FULLNAME}-cleanup`) as CleanupJob;
const jobContainer = (objects: KubeObject[]) => cleanupJob(objects).spec.template.spec.containers[0]!;
const jobEnv = (objects: KubeObject[]): Record<string, string | undefined> => Object.fromEntries(jobContainer(objects).env.map((e) => [e.name, e.value]));
// What `prune` needs to find the Deployment's entries: the same variables, with the same values.
const SHARED_ENV = [
  'MCP_REGISTRY_EXPORT_INSTALL_NAMESPACE',
  'MCP_REGISTRY_EXPORT_LEASE_NAME',
  'MCP_REGISTRY_EXPORT_LOG_LEVEL',
  'MCP_REGISTRY_EXPORT_NAME_PREFIX',
  'MCP_REGISTRY_EXPORT_REGISTRY_URL',
  'MCP_REGISTRY_EXPORT_REGISTRY_FLAVOR',
  'MCP_REGISTRY_EXPORT_REGISTRY_AUTH',
];
const PUBLISHING_ENV = /^MCP_REGISTRY_EXPORT_(HOLD_GRACE|POLICY|MAX_RETIRE_FRACTION|ALLOW_MASS_RETIRE|INSTALLATION|ADOPT_OWNER)$/;
const webhooks = (objects: KubeObject[], kind: string) => (only(objects, kind) as KubeObject & { webhooks: Webhook[] }).webhooks;
const rules = (objects: KubeObject[], kind: string) => (only(objects, kind) as KubeObject & { rules: unknown[] }).rules;

// The contract of what the API server sends to the webhooks (webhook-config/ before the chart).
const EXPECTED_RULES = [
  { apiGroups: ['gateway.networking.k8s.io'], apiVersions: ['v1', 'v1beta1'], operations: ['CREATE', 'UPDATE'], resources: ['httproutes'], scope: 'Namespaced' },
  {
    apiGroups: ['toolhive.stacklok.dev'],
    apiVersions: ['v1alpha1', 'v1beta1'],
    operations: ['CREATE', 'UPDATE'],
    resources: ['mcpservers', 'mcpremoteproxies', 'virtualmcpservers', 'mcpserverentries'],
    scope: 'Namespaced',
  },
];
const EXPECTED_MATCH_CONDITIONS = [
  {
    name: 'registry-annotated',
    expression:
      "has(object.metadata.annotations) && object.metadata.annotations.exists(k, k.startsWith('toolhive.stacklok.dev/registry-') || " +
      "k in ['toolhive.stacklok.dev/tools', 'toolhive.stacklok.dev/tool-definitions', 'toolhive.stacklok.dev/authz-claims'])",
  },
];

describe('helm lint --strict', () => {
  it.each([
    ['the default values (plus the required registry URL)', withUrl()],
    ['cert-manager mode', withUrl({ certificates: { mode: 'cert-manager' } })],
    ['cert-manager mode with an existing issuer', withUrl({ certificates: { mode: 'cert-manager', certManager: { issuerRef: { name: 'corp-ca', kind: 'ClusterIssuer' } } } })],
    ['the toolhive flavor with token auth', withUrl({ registry: { flavor: 'toolhive', auth: { mode: 'token', existingSecret: 'registry-token' } } })],
    ['dns auth', withUrl({ registry: { auth: { mode: 'dns', domain: 'example.com', existingSecret: 'registry-key' } } })],
    ['metrics off', withUrl({ metrics: { enabled: false } })],
    ['a ServiceMonitor', withUrl({ metrics: { serviceMonitor: { enabled: true } } })],
    ['3 replicas', withUrl({ replicaCount: 3 })],
    ['the host network on its own port', withUrl({ hostNetwork: { enabled: true, port: 10443 } })],
    ['the publisher off (no registry URL needed)', { publisher: { enabled: false } }],
    [
      'every publishing option and the cleanup Job',
      withUrl({
        publishing: { holdGrace: '1h', policy: 'upsert-only', maxRetireFraction: 0.25, allowMassRetire: true, installation: 'prod/mre', adoptOwners: ['old-cluster', 'old-cluster/ns/lease'] },
        cleanupOnUninstall: true,
        registry: { auth: { mode: 'token', existingSecret: 'registry-token' } },
      }),
    ],
  ])('is clean for %s', async (_name, values) => {
    const { args, cleanup } = valuesFileArgs(values);
    try {
      const lint = await helm(['lint', '--strict', chartDir, '--namespace', NS, ...args]);
      expect(lint.stdout + lint.stderr).toContain('1 chart(s) linted, 0 chart(s) failed');
      expect(lint.stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
      expect(lint.code).toBe(0);
    } finally {
      cleanup();
    }
  });
});

describe('the chart-testing values in ci/', () => {
  const files = readdirSync(join(chartDir, 'ci')).filter((file) => file.endsWith('.yaml'));
  it('has some', () => expect(files.length).toBeGreaterThanOrEqual(3));
  it.each(files)('helm lint --strict -f ci/%s is clean', async (file) => {
    const lint = await helm(['lint', '--strict', chartDir, '--namespace', NS, '-f', join(chartDir, 'ci', file)]);
    expect(lint.stdout + lint.stderr).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(lint.stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
  });
});

describe('helm template with the default values', () => {
  it('renders exactly the objects of a self-managed install', async () => {
    const objects = await render(withUrl());
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(
      [
        'ClusterRole', 'ClusterRoleBinding', 'Deployment', 'MutatingWebhookConfiguration', 'NetworkPolicy', 'PodDisruptionBudget',
        'Role', 'RoleBinding', 'Service', 'ServiceAccount', 'ValidatingWebhookConfiguration',
      ].map((kind) => `${kind}/${FULLNAME}`),
    );
    for (const object of objects.filter((o) => !o.kind.startsWith('Cluster') && !o.kind.endsWith('WebhookConfiguration'))) {
      expect(object.metadata.namespace, `${object.kind} namespace`).toBe(NS);
    }
  });

  it('runs `run` with 2 replicas, rolls out without dropping below them and spreads over nodes', async () => {
    const objects = await render(withUrl());
    const deploy = deployment(objects);
    expect(deploy.spec.replicas).toBe(2);
    expect(deploy.spec).toMatchObject({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } });
    expect(container(objects).args).toEqual(['run']);
    const pod = deploy.spec.template.spec;
    expect(pod.serviceAccountName).toBe(FULLNAME);
    expect(pod.affinity).toEqual({
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'mcp-registry-export', 'app.kubernetes.io/instance': RELEASE } } } },
        ],
      },
    });
    const pdb = only(objects, 'PodDisruptionBudget') as KubeObject & { spec: { maxUnavailable: number; selector: { matchLabels: Record<string, string> } } };
    expect(pdb.spec.maxUnavailable).toBe(1);
    expect(deploy.spec.template.metadata.labels).toMatchObject(pdb.spec.selector.matchLabels);
  });

  it('passes the configuration the process reads, through the environment', async () => {
    const objects = await render(withUrl());
    expect(container(objects).env.find((e) => e.name === 'MCP_REGISTRY_EXPORT_INSTALL_NAMESPACE')).toEqual({
      name: 'MCP_REGISTRY_EXPORT_INSTALL_NAMESPACE',
      valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } },
    });
    expect(container(objects).env.find((e) => e.name === 'POD_NAME')).toEqual({ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
    expect(env(objects)).toEqual({
      MCP_REGISTRY_EXPORT_INSTALL_NAMESPACE: undefined,
      POD_NAME: undefined,
      MCP_REGISTRY_EXPORT_WEBHOOK_PORT: '8443',
      MCP_REGISTRY_EXPORT_TLS_CERT: '/etc/mcp-registry-export/tls/tls.crt',
      MCP_REGISTRY_EXPORT_TLS_KEY: '/etc/mcp-registry-export/tls/tls.key',
      MCP_REGISTRY_EXPORT_CERTIFICATE_MODE: 'self-managed',
      MCP_REGISTRY_EXPORT_CERTIFICATE_WAIT: '5m',
      MCP_REGISTRY_EXPORT_CERTIFICATE_SECRET: `${FULLNAME}-tls`,
      MCP_REGISTRY_EXPORT_WEBHOOK_SERVICE: FULLNAME,
      MCP_REGISTRY_EXPORT_WEBHOOK_CONFIGURATION: FULLNAME,
      MCP_REGISTRY_EXPORT_CA_VALIDITY: '730d',
      MCP_REGISTRY_EXPORT_CERTIFICATE_VALIDITY: '90d',
      MCP_REGISTRY_EXPORT_CERTIFICATE_OVERLAP: '10m',
      MCP_REGISTRY_EXPORT_LEADER_ELECTION: 'on',
      MCP_REGISTRY_EXPORT_LEASE_NAME: FULLNAME,
      MCP_REGISTRY_EXPORT_REFERENTIAL_CHECKS: 'deny',
      MCP_REGISTRY_EXPORT_SHUTDOWN_DELAY: '5s',
      MCP_REGISTRY_EXPORT_LOG_LEVEL: 'info',
      NODE_OPTIONS: '--max-old-space-size=256',
      MCP_REGISTRY_EXPORT_REGISTRY_URL: TEST_REGISTRY_URL,
      MCP_REGISTRY_EXPORT_REGISTRY_FLAVOR: 'upstream',
      MCP_REGISTRY_EXPORT_REGISTRY_AUTH: 'none',
      MCP_REGISTRY_EXPORT_NAME_PREFIX: 'com.toolhive.k8s.{namespace}',
      MCP_REGISTRY_EXPORT_RESYNC_INTERVAL: '5m',
      MCP_REGISTRY_EXPORT_HOLD_GRACE: '10m',
      MCP_REGISTRY_EXPORT_POLICY: 'sync',
      MCP_REGISTRY_EXPORT_MAX_RETIRE_FRACTION: '0.5',
    });
  });

  it('renders no cleanup Job and sets none of the optional publishing variables (installation, adopted owners, mass retire)', async () => {
    const objects = await render(withUrl());
    expect(objects.filter((o) => o.kind === 'Job')).toEqual([]);
    const set = Object.keys(env(objects)).filter((name) => PUBLISHING_ENV.test(name));
    expect(set.sort()).toEqual(['MCP_REGISTRY_EXPORT_HOLD_GRACE', 'MCP_REGISTRY_EXPORT_MAX_RETIRE_FRACTION', 'MCP_REGISTRY_EXPORT_POLICY']);
  });

  it('serves and probes one HTTPS port and mounts only the serving key pair of the optional Secret', async () => {
    const objects = await render(withUrl());
    const c = container(objects);
    expect(c.ports).toEqual([{ name: 'https', containerPort: 8443, protocol: 'TCP' }]);
    expect(c.startupProbe.httpGet).toEqual({ scheme: 'HTTPS', port: 'https', path: '/healthz' });
    // As long as the process waits for the certificate files (MCP_REGISTRY_EXPORT_CERTIFICATE_WAIT 5m).
    expect(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold).toBe(300);
    expect(c.livenessProbe.httpGet).toEqual({ scheme: 'HTTPS', port: 'https', path: '/healthz' });
    expect(c.readinessProbe.httpGet).toEqual({ scheme: 'HTTPS', port: 'https', path: '/readyz' });
    const pod = deployment(objects).spec.template.spec;
    expect(pod.volumes).toEqual([
      {
        name: 'tls',
        secret: {
          secretName: `${FULLNAME}-tls`,
          optional: true,
          defaultMode: 0o440,
          items: [{ key: 'tls.crt', path: 'tls.crt' }, { key: 'tls.key', path: 'tls.key' }],
        },
      },
      { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
    ]);
    expect(c.volumeMounts).toEqual([
      { name: 'tls', mountPath: '/etc/mcp-registry-export/tls', readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
    ]);
  });

  it('runs non-root with a read-only root filesystem, no privilege escalation, no capabilities and RuntimeDefault seccomp', async () => {
    const objects = await render(withUrl());
    expect(container(objects).securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(deployment(objects).spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
  });

  it('renders both webhook configurations under one name, without caBundle, with the shipped rules and matchConditions', async () => {
    const objects = await render(withUrl());
    const [validating] = webhooks(objects, 'ValidatingWebhookConfiguration');
    const [mutating] = webhooks(objects, 'MutatingWebhookConfiguration');
    const common = {
      admissionReviewVersions: ['v1'],
      sideEffects: 'None',
      matchPolicy: 'Equivalent',
      timeoutSeconds: 5,
      rules: EXPECTED_RULES,
      matchConditions: EXPECTED_MATCH_CONDITIONS,
      namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', NS] }] },
    };
    expect(validating).toEqual({
      name: 'validate.annotations.mcp-registry-export.dev',
      failurePolicy: 'Fail',
      clientConfig: { service: { name: FULLNAME, namespace: NS, path: '/validate', port: 443 } },
      ...common,
      // Leaving is never blocked: objects being deleted are not sent to the validating webhook.
      matchConditions: [...EXPECTED_MATCH_CONDITIONS, { name: 'not-being-deleted', expression: '!has(object.metadata.deletionTimestamp)' }],
    });
    expect(mutating).toEqual({
      name: 'mutate.annotations.mcp-registry-export.dev',
      failurePolicy: 'Ignore',
      reinvocationPolicy: 'IfNeeded',
      clientConfig: { service: { name: FULLNAME, namespace: NS, path: '/mutate', port: 443 } },
      ...common,
    });
    expect(only(objects, 'ValidatingWebhookConfiguration').metadata.annotations).toBeUndefined();
  });

  it('admits ingress on the HTTPS port only, from anywhere unless peers are given', async () => {
    const objects = await render(withUrl());
    const policy = only(objects, 'NetworkPolicy') as KubeObject & { spec: Record<string, unknown> };
    expect(policy.spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'mcp-registry-export', 'app.kubernetes.io/instance': RELEASE } },
      policyTypes: ['Ingress'],
      ingress: [{ ports: [{ port: 'https', protocol: 'TCP' }] }],
    });
    const service = only(objects, 'Service') as KubeObject & { spec: { ports: unknown[] } };
    expect(service.spec.ports).toEqual([{ name: 'https', port: 443, targetPort: 'https', protocol: 'TCP' }]);
  });

  it('grants reads of what is watched, Events, and writes of its own webhook configurations, Lease and Secret by name only', async () => {
    const objects = await render(withUrl());
    expect(rules(objects, 'ClusterRole')).toEqual([
      { apiGroups: ['gateway.networking.k8s.io'], resources: ['gatewayclasses', 'gateways', 'httproutes', 'referencegrants'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['namespaces', 'services'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['toolhive.stacklok.dev'], resources: ['mcpservers', 'mcpremoteproxies', 'virtualmcpservers', 'mcpserverentries'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['toolhive.stacklok.dev'], resources: ['mcptoolconfigs'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
      {
        apiGroups: ['admissionregistration.k8s.io'],
        resources: ['validatingwebhookconfigurations', 'mutatingwebhookconfigurations'],
        resourceNames: [FULLNAME],
        verbs: ['get', 'list', 'watch', 'patch', 'update'],
      },
    ]);
    expect(rules(objects, 'Role')).toEqual([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [FULLNAME], verbs: ['get', 'update', 'patch'] },
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      { apiGroups: [''], resources: ['secrets'], resourceNames: [`${FULLNAME}-tls`], verbs: ['get', 'list', 'watch', 'update', 'patch'] },
    ]);
    const subject = { kind: 'ServiceAccount', name: FULLNAME, namespace: NS };
    expect(only(objects, 'ClusterRoleBinding')).toMatchObject({ roleRef: { kind: 'ClusterRole', name: FULLNAME }, subjects: [subject] });
    expect(only(objects, 'RoleBinding')).toMatchObject({ roleRef: { kind: 'Role', name: FULLNAME }, subjects: [subject] });
  });
});

describe('helm template with non-default values', () => {
  it('cert-manager mode: self-signed Issuer, CA Certificate, CA Issuer, serving Certificate and inject-ca-from on both configurations', async () => {
    const objects = await render(withUrl({ certificates: { mode: 'cert-manager' } }));
    expect(objects.filter((o) => o.apiVersion === 'cert-manager.io/v1').map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      `Certificate/${FULLNAME}-ca`,
      `Certificate/${FULLNAME}-serving`,
      `Issuer/${FULLNAME}-ca`,
      `Issuer/${FULLNAME}-selfsigned`,
    ]);
    expect(only(objects, 'Issuer', `${FULLNAME}-selfsigned`)).toMatchObject({ spec: { selfSigned: {} } });
    expect(only(objects, 'Certificate', `${FULLNAME}-ca`)).toMatchObject({ spec: { isCA: true, secretName: `${FULLNAME}-ca`, issuerRef: { name: `${FULLNAME}-selfsigned`, kind: 'Issuer' } } });
    expect(only(objects, 'Issuer', `${FULLNAME}-ca`)).toMatchObject({ spec: { ca: { secretName: `${FULLNAME}-ca` } } });
    expect(only(objects, 'Certificate', `${FULLNAME}-serving`)).toMatchObject({
      metadata: { namespace: NS },
      spec: {
        secretName: `${FULLNAME}-tls`,
        dnsNames: [`${FULLNAME}.${NS}.svc`, `${FULLNAME}.${NS}.svc.cluster.local`],
        issuerRef: { name: `${FULLNAME}-ca`, kind: 'Issuer', group: 'cert-manager.io' },
      },
    });
    for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']) {
      expect(only(objects, kind).metadata.annotations).toEqual({ 'cert-manager.io/inject-ca-from': `${NS}/${FULLNAME}-serving` });
      expect(webhooks(objects, kind)[0]!.clientConfig).not.toHaveProperty('caBundle');
    }
    const vars = env(objects);
    expect(vars['MCP_REGISTRY_EXPORT_CERTIFICATE_MODE']).toBe('external');
    expect(vars['MCP_REGISTRY_EXPORT_CERTIFICATE_SECRET']).toBe(`${FULLNAME}-tls`);
    expect(Object.keys(vars)).not.toContain('MCP_REGISTRY_EXPORT_CA_VALIDITY');
    // cert-manager writes the Secret: the pods may only read it.
    expect(rules(objects, 'Role')).toContainEqual({ apiGroups: [''], resources: ['secrets'], resourceNames: [`${FULLNAME}-tls`], verbs: ['get', 'list', 'watch'] });
    expect(JSON.stringify(rules(objects, 'Role'))).not.toMatch(/"secrets"\],"verbs":\[[^\]]*"(create|update|patch)"/);
  });

  it('cert-manager mode: may only read its webhook configurations (cainjector writes the caBundle), so a compromised pod cannot widen its own webhook', async () => {
    const webhookConfigurations = (objects: KubeObject[]) =>
      (rules(objects, 'ClusterRole') as { apiGroups: string[]; verbs: string[] }[]).filter((rule) => rule.apiGroups.includes('admissionregistration.k8s.io'));
    const certManager = await render(withUrl({ certificates: { mode: 'cert-manager' } }));
    expect(webhookConfigurations(certManager)).toEqual([
      {
        apiGroups: ['admissionregistration.k8s.io'],
        resources: ['validatingwebhookconfigurations', 'mutatingwebhookconfigurations'],
        resourceNames: [FULLNAME],
        verbs: ['get', 'list', 'watch'],
      },
    ]);
    // No other rule grants writes on them either.
    expect(JSON.stringify(rules(certManager, 'ClusterRole'))).not.toMatch(/webhookconfigurations[^}]*"(patch|update|create|delete|\*)"/);
    const withIssuer = await render(withUrl({ certificates: { mode: 'cert-manager', certManager: { issuerRef: { name: 'corp-ca', kind: 'ClusterIssuer' } } } }));
    expect(webhookConfigurations(withIssuer).flatMap((rule) => rule.verbs)).toEqual(['get', 'list', 'watch']);
    // Self-managed mode injects the CA itself, so it keeps patch and update (by name).
    expect(webhookConfigurations(await render(withUrl())).flatMap((rule) => rule.verbs)).toEqual(['get', 'list', 'watch', 'patch', 'update']);
  });

  it('cert-manager mode with issuerRef: only the serving Certificate, issued by that issuer', async () => {
    const issuerRef = { name: 'corp-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' };
    const objects = await render(withUrl({ certificates: { mode: 'cert-manager', certManager: { issuerRef } } }));
    expect(objects.filter((o) => o.apiVersion === 'cert-manager.io/v1').map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([`Certificate/${FULLNAME}-serving`]);
    expect(only(objects, 'Certificate')).toMatchObject({ spec: { issuerRef } });
  });

  it('toolhive flavor with token auth: flavor, auth and the token file from the named Secret, only its one key', async () => {
    const objects = await render(withUrl({ registry: { flavor: 'toolhive', auth: { mode: 'token', existingSecret: 'registry-token', tokenKey: 'jwt' } } }));
    expect(env(objects)).toMatchObject({
      MCP_REGISTRY_EXPORT_REGISTRY_FLAVOR: 'toolhive',
      MCP_REGISTRY_EXPORT_REGISTRY_AUTH: 'token',
      MCP_REGISTRY_EXPORT_REGISTRY_TOKEN_FILE: '/etc/mcp-registry-export/registry/token',
    });
    expect(Object.keys(env(objects))).not.toContain('MCP_REGISTRY_EXPORT_REGISTRY_KEY_FILE');
    expect(deployment(objects).spec.template.spec.volumes).toContainEqual({
      name: 'registry-credentials',
      secret: { secretName: 'registry-token', defaultMode: 0o440, items: [{ key: 'jwt', path: 'token' }] },
    });
    expect(container(objects).volumeMounts).toContainEqual({ name: 'registry-credentials', mountPath: '/etc/mcp-registry-export/registry', readOnly: true });
  });

  it('dns auth: the key file, the domain, and the key from the named Secret', async () => {
    const objects = await render(withUrl({ registry: { auth: { mode: 'dns', domain: 'example.com', existingSecret: 'registry-key' } } }));
    expect(env(objects)).toMatchObject({
      MCP_REGISTRY_EXPORT_REGISTRY_AUTH: 'dns',
      MCP_REGISTRY_EXPORT_REGISTRY_KEY_FILE: '/etc/mcp-registry-export/registry/private-key',
      MCP_REGISTRY_EXPORT_REGISTRY_DOMAIN: 'example.com',
    });
    expect(deployment(objects).spec.template.spec.volumes).toContainEqual({
      name: 'registry-credentials',
      secret: { secretName: 'registry-key', defaultMode: 0o440, items: [{ key: 'private-key', path: 'private-key' }] },
    });
  });

  it('metrics on: scrape annotations; metrics off: none, and no ServiceMonitor even when asked for', async () => {
    const on = await render(withUrl({ metrics: { serviceMonitor: { enabled: true } } }));
    expect(deployment(on).spec.template.metadata.annotations).toEqual({
      'prometheus.io/scrape': 'true',
      'prometheus.io/scheme': 'https',
      'prometheus.io/port': '8443',
      'prometheus.io/path': '/metrics',
    });
    expect(only(on, 'ServiceMonitor')).toMatchObject({
      apiVersion: 'monitoring.coreos.com/v1',
      metadata: { namespace: NS },
      spec: { endpoints: [{ port: 'https', scheme: 'https', path: '/metrics', tlsConfig: { insecureSkipVerify: true } }] },
    });

    const off = await render(withUrl({ metrics: { enabled: false, serviceMonitor: { enabled: true } } }));
    expect(deployment(off).spec.template.metadata.annotations).toBeUndefined();
    expect(off.filter((o) => o.kind === 'ServiceMonitor')).toEqual([]);
  });

  it('maxHeapMiB caps the V8 heap through NODE_OPTIONS; 0 leaves Node its default', async () => {
    expect(env(await render(withUrl({ maxHeapMiB: 384 })))['NODE_OPTIONS']).toBe('--max-old-space-size=384');
    expect(Object.keys(env(await render(withUrl({ maxHeapMiB: 0 }))))).not.toContain('NODE_OPTIONS');
  });

  it('registry.allowInsecure reaches the Deployment and the cleanup Job as MCP_REGISTRY_EXPORT_ALLOW_INSECURE_REGISTRY; off by default', async () => {
    expect(Object.keys(env(await render(withUrl())))).not.toContain('MCP_REGISTRY_EXPORT_ALLOW_INSECURE_REGISTRY');
    const objects = await render(
      withUrl({ registry: { url: 'http://registry.registry.svc:8080', allowInsecure: true, auth: { mode: 'token', existingSecret: 'registry-token' } }, cleanupOnUninstall: true }),
    );
    expect(env(objects)['MCP_REGISTRY_EXPORT_ALLOW_INSECURE_REGISTRY']).toBe('true');
    expect(jobEnv(objects)['MCP_REGISTRY_EXPORT_ALLOW_INSECURE_REGISTRY']).toBe('true');
    // A path may still carry an @.
    expect(env(await render(withUrl({ registry: { url: 'https://registry.example.com/team@a' } })))['MCP_REGISTRY_EXPORT_REGISTRY_URL']).toBe('https://registry.example.com/team@a');
  });

  it('drains on deletion: a 5 s preStop sleep, then 5 s of answering after SIGTERM, within a 45 s grace period (enough for any webhook timeout)', async () => {
    const objects = await render(withUrl());
    expect(container(objects).lifecycle).toEqual({ preStop: { sleep: { seconds: 5 } } });
    expect(env(objects)['MCP_REGISTRY_EXPORT_SHUTDOWN_DELAY']).toBe('5s');
    expect(deployment(objects).spec.template.spec.terminationGracePeriodSeconds).toBe(45);
    expect((await helmTemplate(withUrl({ webhook: { timeoutSeconds: 30 } }))).code).toBe(0);
  });

  it('shutdown values: no preStop hook at 0, the delay and grace as given', async () => {
    const objects = await render(withUrl({ shutdown: { preStopSleepSeconds: 0, delaySeconds: 20, terminationGracePeriodSeconds: 60 } }));
    expect(container(objects)).not.toHaveProperty('lifecycle');
    expect(env(objects)['MCP_REGISTRY_EXPORT_SHUTDOWN_DELAY']).toBe('20s');
    expect(deployment(objects).spec.template.spec.terminationGracePeriodSeconds).toBe(60);
  });

  it('hostNetwork off by default: neither hostNetwork nor dnsPolicy on the pod', async () => {
    const pod = deployment(await render(withUrl())).spec.template.spec;
    expect(pod).not.toHaveProperty('hostNetwork');
    expect(pod).not.toHaveProperty('dnsPolicy');
  });

  it('hostNetwork on: host network with ClusterFirstWithHostNet DNS, on webhook.port unless hostNetwork.port is set', async () => {
    const defaults = await render(withUrl({ hostNetwork: { enabled: true } }));
    expect(deployment(defaults).spec.template.spec).toMatchObject({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' });
    expect(container(defaults).ports).toEqual([{ name: 'https', containerPort: 8443, protocol: 'TCP' }]);
    expect(env(defaults)['MCP_REGISTRY_EXPORT_WEBHOOK_PORT']).toBe('8443');

    const objects = await render(withUrl({ hostNetwork: { enabled: true, port: 10443, dnsPolicy: 'Default' } }));
    const pod = deployment(objects).spec.template.spec;
    expect(pod).toMatchObject({ hostNetwork: true, dnsPolicy: 'Default' });
    const c = container(objects);
    // Host ports collide: the process listens on, and the pod declares, the configured port.
    expect(c.ports).toEqual([{ name: 'https', containerPort: 10443, protocol: 'TCP' }]);
    expect(env(objects)['MCP_REGISTRY_EXPORT_WEBHOOK_PORT']).toBe('10443');
    expect(deployment(objects).spec.template.metadata.annotations?.['prometheus.io/port']).toBe('10443');
    // The probes, the Service and the NetworkPolicy name the port, so they follow it.
    expect(c.startupProbe.httpGet).toEqual({ scheme: 'HTTPS', port: 'https', path: '/healthz' });
    const service = only(objects, 'Service') as KubeObject & { spec: { ports: unknown[] } };
    expect(service.spec.ports).toEqual([{ name: 'https', port: 443, targetPort: 'https', protocol: 'TCP' }]);
    const policy = only(objects, 'NetworkPolicy') as KubeObject & { spec: { ingress: unknown[] } };
    expect(policy.spec.ingress).toEqual([{ ports: [{ port: 'https', protocol: 'TCP' }] }]);

    // hostNetwork.port alone changes nothing while the host network is off.
    const off = await render(withUrl({ hostNetwork: { enabled: false, port: 10443 } }));
    expect(container(off).ports).toEqual([{ name: 'https', containerPort: 8443, protocol: 'TCP' }]);
    expect(deployment(off).spec.template.spec).not.toHaveProperty('hostNetwork');
  });

  it('replicas 3', async () => {
    expect(deployment(await render(withUrl({ replicaCount: 3 }))).spec.replicas).toBe(3);
  });

  it('the publisher off: `webhook`, no registry settings, still leader-elected for the certificate controller', async () => {
    const objects = await render({ publisher: { enabled: false } });
    expect(container(objects).args).toEqual(['webhook']);
    const vars = env(objects);
    expect(Object.keys(vars).filter((name) => /^MCP_REGISTRY_EXPORT_(REGISTRY_|RESYNC|OWNER|DRY_RUN)/.test(name) || PUBLISHING_ENV.test(name))).toEqual([]);
    expect(vars).toMatchObject({ MCP_REGISTRY_EXPORT_LEADER_ELECTION: 'on', MCP_REGISTRY_EXPORT_CERTIFICATE_MODE: 'self-managed' });
    // The webhook judges names with the publisher's prefix, publisher or not.
    expect(vars['MCP_REGISTRY_EXPORT_NAME_PREFIX']).toBe('com.toolhive.k8s.{namespace}');
  });

  it('publisher options: --namespace per namespace, owner, prefix, resync, dry run', async () => {
    const objects = await render(
      withUrl({ publisher: { namespaces: ['team-a', 'team-b'], owner: 'cluster-1', namePrefix: 'io.example/{namespace}', resyncInterval: '1h30m', dryRun: true } }),
    );
    expect(container(objects).args).toEqual(['run', '--namespace', 'team-a', '--namespace', 'team-b']);
    expect(env(objects)).toMatchObject({
      MCP_REGISTRY_EXPORT_OWNER: 'cluster-1',
      MCP_REGISTRY_EXPORT_NAME_PREFIX: 'io.example/{namespace}',
      MCP_REGISTRY_EXPORT_RESYNC_INTERVAL: '1h30m',
      MCP_REGISTRY_EXPORT_DRY_RUN: 'true',
    });
    expect(Object.keys(env(await render(withUrl())))).not.toContain('MCP_REGISTRY_EXPORT_DRY_RUN');
  });

  it('publishing options reach the environment: hold grace, policy, max retire fraction, mass retire, installation, adopted owners comma-joined', async () => {
    const objects = await render(
      withUrl({
        publishing: { holdGrace: '1h30m', policy: 'create-only', maxRetireFraction: 0.25, allowMassRetire: true, installation: 'prod/mre', adoptOwners: ['old-cluster', 'cluster-2/mcp-system/mre'] },
      }),
    );
    expect(env(objects)).toMatchObject({
      MCP_REGISTRY_EXPORT_HOLD_GRACE: '1h30m',
      MCP_REGISTRY_EXPORT_POLICY: 'create-only',
      MCP_REGISTRY_EXPORT_MAX_RETIRE_FRACTION: '0.25',
      MCP_REGISTRY_EXPORT_ALLOW_MASS_RETIRE: 'true',
      MCP_REGISTRY_EXPORT_INSTALLATION: 'prod/mre',
      MCP_REGISTRY_EXPORT_ADOPT_OWNER: 'old-cluster,cluster-2/mcp-system/mre',
    });
    expect(env(await render(withUrl({ publishing: { policy: 'upsert-only', maxRetireFraction: 1 } })))).toMatchObject({
      MCP_REGISTRY_EXPORT_POLICY: 'upsert-only',
      MCP_REGISTRY_EXPORT_MAX_RETIRE_FRACTION: '1',
    });
    // `--set publishing.maxRetireFraction=0.1` leaves a string: accepted as it is.
    const { args, cleanup } = valuesFileArgs(withUrl());
    try {
      const result = await helm(['template', RELEASE, chartDir, '--namespace', NS, ...args, '--set', 'publishing.maxRetireFraction=0.1']);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/name: MCP_REGISTRY_EXPORT_MAX_RETIRE_FRACTION\n\s+value: "0\.1"/);
    } finally {
      cleanup();
    }
    // Explicitly off or empty: not set at all.
    const quiet = env(await render(withUrl({ publishing: { allowMassRetire: false, installation: '', adoptOwners: [] } })));
    expect(Object.keys(quiet)).not.toContain('MCP_REGISTRY_EXPORT_ALLOW_MASS_RETIRE');
    expect(Object.keys(quiet)).not.toContain('MCP_REGISTRY_EXPORT_INSTALLATION');
    expect(Object.keys(quiet)).not.toContain('MCP_REGISTRY_EXPORT_ADOPT_OWNER');
  });

  it('webhook options: timeout, extra excluded namespaces, NetworkPolicy peers', async () => {
    const from = [{ ipBlock: { cidr: '10.0.0.0/16' } }, { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }];
    const objects = await render(withUrl({ webhook: { timeoutSeconds: 10, excludeNamespaces: ['flux-system', NS] }, networkPolicy: { from } }));
    for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']) {
      expect(webhooks(objects, kind)[0]).toMatchObject({
        timeoutSeconds: 10,
        namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', NS, 'flux-system'] }] },
      });
    }
    expect(only(objects, 'NetworkPolicy')).toMatchObject({ spec: { ingress: [{ ports: [{ port: 'https', protocol: 'TCP' }], from }] } });
  });
});

describe('cleanupOnUninstall: the pre-delete hook Job', () => {
  const tokenAuth = { registry: { auth: { mode: 'token', existingSecret: 'registry-token', tokenKey: 'jwt' } } };

  it('renders a pre-delete hook Job that runs `prune` once, bounded in time, deleted when it succeeds', async () => {
    const objects = await render(withUrl({ cleanupOnUninstall: true }));
    const job = cleanupJob(objects);
    expect(job.apiVersion).toBe('batch/v1');
    expect(job.metadata.namespace).toBe(NS);
    expect(job.metadata.annotations).toEqual({
      'helm.sh/hook': 'pre-delete',
      'helm.sh/hook-weight': '-5',
      'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded',
    });
    expect(job.spec).toMatchObject({ backoffLimit: 2, activeDeadlineSeconds: 240, ttlSecondsAfterFinished: 3600 });
    // Below Helm's default --timeout of 5 minutes, so the Job's failure is what the uninstall reports.
    expect(job.spec.activeDeadlineSeconds).toBeLessThan(300);
    const pod = job.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.serviceAccountName).toBe(FULLNAME);
    expect(pod.automountServiceAccountToken).toBe(true);
    expect(pod.containers).toHaveLength(1);
    expect(jobContainer(objects).args).toEqual(['prune']);
    expect((jobContainer(objects) as Container & { image: string }).image).toBe((container(objects) as Container & { image: string }).image);
    // The rest of the release is unchanged.
    expect(objects.filter((o) => o.kind !== 'Job').map((o) => o.kind).sort()).toEqual((await render(withUrl())).map((o) => o.kind).sort());
  });

  it('gives prune the Deployment\'s registry settings, credentials, owner, installation, adopted owners, prefix, install namespace and Lease name, not its --namespace set (leaving takes every entry of the installation)', async () => {
    const objects = await render(
      withUrl({
        cleanupOnUninstall: true,
        publisher: { namespaces: ['team-a', 'team-b'], owner: 'cluster-1', namePrefix: 'io.example/{namespace}' },
        publishing: { installation: 'prod/mre', adoptOwners: ['old-cluster'] },
        registry: { flavor: 'toolhive', auth: tokenAuth.registry.auth },
      }),
    );
    expect(jobContainer(objects).args).toEqual(['prune']);
    expect(container(objects).args).toEqual(['run', '--namespace', 'team-a', '--namespace', 'team-b']);
    const deploymentEnv = new Map(container(objects).env.map((e) => [e.name, e]));
    for (const variable of jobContainer(objects).env) expect(variable, variable.name).toEqual(deploymentEnv.get(variable.name));
    expect(jobContainer(objects).env.map((e) => e.name).sort()).toEqual(
      [
        ...SHARED_ENV,
        'MCP_REGISTRY_EXPORT_REGISTRY_TOKEN_FILE',
        'MCP_REGISTRY_EXPORT_OWNER',
        'MCP_REGISTRY_EXPORT_INSTALLATION',
        'MCP_REGISTRY_EXPORT_ADOPT_OWNER',
      ].sort(),
    );
    expect(jobEnv(objects)).toMatchObject({
      MCP_REGISTRY_EXPORT_LEASE_NAME: FULLNAME,
      MCP_REGISTRY_EXPORT_NAME_PREFIX: 'io.example/{namespace}',
      MCP_REGISTRY_EXPORT_REGISTRY_URL: TEST_REGISTRY_URL,
      MCP_REGISTRY_EXPORT_REGISTRY_FLAVOR: 'toolhive',
      MCP_REGISTRY_EXPORT_REGISTRY_AUTH: 'token',
      MCP_REGISTRY_EXPORT_REGISTRY_TOKEN_FILE: '/etc/mcp-registry-export/registry/token',
      MCP_REGISTRY_EXPORT_OWNER: 'cluster-1',
      MCP_REGISTRY_EXPORT_INSTALLATION: 'prod/mre',
      MCP_REGISTRY_EXPORT_ADOPT_OWNER: 'old-cluster',
    });
    // The install namespace comes from the pod, as in the Deployment: the default installation
    // ID "<install namespace>/<lease name>" is the same in both.
    expect(jobContainer(objects).env.find((e) => e.name === 'MCP_REGISTRY_EXPORT_INSTALL_NAMESPACE')).toEqual({
      name: 'MCP_REGISTRY_EXPORT_INSTALL_NAMESPACE',
      valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } },
    });
    expect(cleanupJob(objects).metadata.namespace).toBe(deployment(objects).metadata.namespace);
  });

  it('mounts the same registry credential Secret (only its one key) as the Deployment, and a /tmp', async () => {
    for (const values of [
      withUrl({ ...tokenAuth, cleanupOnUninstall: true }),
      withUrl({ cleanupOnUninstall: true, registry: { auth: { mode: 'dns', domain: 'example.com', existingSecret: 'registry-key', privateKeyKey: 'ed25519' } } }),
    ]) {
      const objects = await render(values);
      const credentials = deployment(objects).spec.template.spec.volumes.find((v) => v.name === 'registry-credentials');
      expect(credentials).toBeDefined();
      expect(cleanupJob(objects).spec.template.spec.volumes).toEqual([credentials, { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }]);
      expect(jobContainer(objects).volumeMounts).toEqual([
        { name: 'registry-credentials', mountPath: '/etc/mcp-registry-export/registry', readOnly: true },
        { name: 'tmp', mountPath: '/tmp' },
      ]);
      expect(container(objects).volumeMounts).toContainEqual(jobContainer(objects).volumeMounts[0]);
    }
    const dns = await render(withUrl({ cleanupOnUninstall: true, registry: { auth: { mode: 'dns', domain: 'example.com', existingSecret: 'registry-key' } } }));
    expect(jobEnv(dns)).toMatchObject({
      MCP_REGISTRY_EXPORT_REGISTRY_AUTH: 'dns',
      MCP_REGISTRY_EXPORT_REGISTRY_KEY_FILE: '/etc/mcp-registry-export/registry/private-key',
      MCP_REGISTRY_EXPORT_REGISTRY_DOMAIN: 'example.com',
    });
    // Anonymous: no Secret at all.
    const none = await render(withUrl({ cleanupOnUninstall: true }));
    expect(cleanupJob(none).spec.template.spec.volumes.map((v) => v.name)).toEqual(['tmp']);
    expect(Object.keys(jobEnv(none)).sort()).toEqual([...SHARED_ENV].sort());
  });

  it('runs with the Deployment\'s pod and container securityContext and resources', async () => {
    const objects = await render(withUrl({ cleanupOnUninstall: true, resources: { requests: { cpu: '50m' } } }));
    expect(jobContainer(objects).securityContext).toEqual(container(objects).securityContext);
    expect(cleanupJob(objects).spec.template.spec.securityContext).toEqual(deployment(objects).spec.template.spec.securityContext);
    expect(cleanupJob(objects).spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, fsGroup: 65532 });
    const resources = (c: Container) => (c as Container & { resources: unknown }).resources;
    expect(resources(jobContainer(objects))).toEqual(resources(container(objects)));
    expect(resources(jobContainer(objects))).toMatchObject({ requests: { cpu: '50m' } });
  });

  it('passes no publishing rule and no resync to prune: it retires everything of this installation on purpose', async () => {
    const objects = await render(withUrl({ cleanupOnUninstall: true, publishing: { policy: 'upsert-only', maxRetireFraction: 0.1, allowMassRetire: true } }));
    expect(Object.keys(jobEnv(objects)).filter((name) => /^MCP_REGISTRY_EXPORT_(HOLD_GRACE|POLICY|MAX_RETIRE_FRACTION|ALLOW_MASS_RETIRE|RESYNC_INTERVAL|LEADER_ELECTION)$/.test(name))).toEqual([]);
    // A dry-run install prunes in dry run too.
    expect(jobEnv(await render(withUrl({ cleanupOnUninstall: true, publisher: { dryRun: true } })))['MCP_REGISTRY_EXPORT_DRY_RUN']).toBe('true');
  });

  it('the Job\'s pod is not selected by the webhook Service, the PodDisruptionBudget or the NetworkPolicy', async () => {
    const objects = await render(withUrl({ cleanupOnUninstall: true, podLabels: { team: 'platform' } }));
    const labels = cleanupJob(objects).spec.template.metadata.labels;
    expect(labels).toEqual({ 'app.kubernetes.io/instance': RELEASE, 'app.kubernetes.io/component': 'cleanup', team: 'platform' });
    const selects = (selector: Record<string, string>) => Object.entries(selector).every(([key, value]) => labels[key] === value);
    expect(selects((only(objects, 'Service') as KubeObject & { spec: { selector: Record<string, string> } }).spec.selector)).toBe(false);
    expect(selects((only(objects, 'PodDisruptionBudget') as KubeObject & { spec: { selector: { matchLabels: Record<string, string> } } }).spec.selector.matchLabels)).toBe(false);
    expect(selects((only(objects, 'NetworkPolicy') as KubeObject & { spec: { podSelector: { matchLabels: Record<string, string> } } }).spec.podSelector.matchLabels)).toBe(false);
    expect(selects(deployment(objects).spec.template.metadata.labels)).toBe(false);
  });

  it('runs under the release\'s ServiceAccount, which may already get Namespaces (the kube-system UID is the default owner)', async () => {
    const objects = await render(withUrl({ cleanupOnUninstall: true }));
    expect(cleanupJob(objects).spec.template.spec.serviceAccountName).toBe(deployment(objects).spec.template.spec.serviceAccountName);
    expect(rules(objects, 'ClusterRole')).toContainEqual({ apiGroups: [''], resources: ['namespaces', 'services'], verbs: ['get', 'list', 'watch'] });
    expect(only(objects, 'ClusterRoleBinding')).toMatchObject({ subjects: [{ kind: 'ServiceAccount', name: FULLNAME, namespace: NS }] });
    const external = await render(withUrl({ cleanupOnUninstall: true, serviceAccount: { create: false, name: 'existing-sa' } }));
    expect(cleanupJob(external).spec.template.spec.serviceAccountName).toBe('existing-sa');
  });

  it('the publisher off: no Job (nothing was published, and there are no registry settings)', async () => {
    const objects = await render({ publisher: { enabled: false }, cleanupOnUninstall: true });
    expect(objects.filter((o) => o.kind === 'Job')).toEqual([]);
  });
});

describe('values the chart refuses', () => {
  it.each([
    ['an unknown top-level key', withUrl({ replicas: 3 }), "at '': additional properties 'replicas' not allowed"],
    ['an unknown nested key', withUrl({ webhook: { timeout: 10 } }), "at '/webhook': additional properties 'timeout' not allowed"],
    ['a timeout over 30 s', withUrl({ webhook: { timeoutSeconds: 31 } }), "at '/webhook/timeoutSeconds': maximum: got 31, want 30"],
    ['a misspelt certificate mode', withUrl({ certificates: { mode: 'certmanager' } }), "at '/certificates/mode': value must be one of 'self-managed', 'cert-manager'"],
    ['an unknown registry flavor', withUrl({ registry: { flavor: 'official' } }), "at '/registry/flavor': value must be one of 'upstream', 'toolhive'"],
    ['a duration without unit', withUrl({ certificates: { certificateValidity: '90' } }), "at '/certificates/certificateValidity'"],
    ['no registry URL while the publisher is on', {}, "at '/registry': missing property 'url'"],
    ['a registry URL that is not http(s)', withUrl({ registry: { url: 'registry.example.com' } }), "at '/registry/url'"],
    ['a registry URL with user:password@ (use auth.existingSecret)', withUrl({ registry: { url: 'https://u:p@registry.example.com' } }), "at '/registry/url'"],
    ['registry.allowInsecure as a string', withUrl({ registry: { allowInsecure: 'yes' } }), "at '/registry/allowInsecure': got string, want boolean"],
    ['token auth without a Secret', withUrl({ registry: { auth: { mode: 'token' } } }), "at '/registry/auth': missing property 'existingSecret'"],
    ['dns auth without a domain', withUrl({ registry: { auth: { mode: 'dns', existingSecret: 'k' } } }), "at '/registry/auth': missing property 'domain'"],
    ['an unknown publishing policy', withUrl({ publishing: { policy: 'delete' } }), "at '/publishing/policy': value must be one of 'sync', 'upsert-only', 'create-only'"],
    ['a max retire fraction over 1', withUrl({ publishing: { maxRetireFraction: 1.5 } }), "at '/publishing/maxRetireFraction': maximum: got 1.5, want 1"],
    ['a negative max retire fraction', withUrl({ publishing: { maxRetireFraction: -0.1 } }), "at '/publishing/maxRetireFraction': minimum: got -0.1, want 0"],
    ['a max retire fraction string over 1 (from --set)', withUrl({ publishing: { maxRetireFraction: '1.5' } }), "at '/publishing/maxRetireFraction': '1.5' does not match pattern"],
    ['a max retire fraction in percent', withUrl({ publishing: { maxRetireFraction: '50%' } }), "at '/publishing/maxRetireFraction'"],
    ['an unknown key under publishing', withUrl({ publishing: { maxRetire: 0.5 } }), "at '/publishing': additional properties 'maxRetire' not allowed"],
    ['a hold grace without unit', withUrl({ publishing: { holdGrace: '600' } }), "at '/publishing/holdGrace'"],
    ['allowMassRetire as a string', withUrl({ publishing: { allowMassRetire: 'yes' } }), "at '/publishing/allowMassRetire': got string, want boolean"],
    ['an adopted owner with a comma (they are passed comma-joined)', withUrl({ publishing: { adoptOwners: ['a,b'] } }), "at '/publishing/adoptOwners/0'"],
    ['adoptOwners as a string', withUrl({ publishing: { adoptOwners: 'old-cluster' } }), "at '/publishing/adoptOwners': got string, want array"],
    ['cleanupOnUninstall as a string', withUrl({ cleanupOnUninstall: 'true' }), "at '/cleanupOnUninstall': got string, want boolean"],
    ['hostNetwork as a boolean', withUrl({ hostNetwork: true }), "at '/hostNetwork': got boolean, want object"],
    ['hostNetwork.enabled as a string', withUrl({ hostNetwork: { enabled: 'true' } }), "at '/hostNetwork/enabled': got string, want boolean"],
    ['a privileged host port (the pods run non-root without capabilities)', withUrl({ hostNetwork: { enabled: true, port: 443 } }), "at '/hostNetwork/port': minimum: got 443"],
    ['a host port as a string', withUrl({ hostNetwork: { enabled: true, port: '10443' } }), "at '/hostNetwork/port': got string, want integer"],
    ['an unknown dnsPolicy', withUrl({ hostNetwork: { enabled: true, dnsPolicy: 'ClusterFirstWithHostNetwork' } }), "at '/hostNetwork/dnsPolicy': value must be one of 'ClusterFirstWithHostNet', 'ClusterFirst', 'Default'"],
    ['an unknown key under hostNetwork', withUrl({ hostNetwork: { hostPort: 10443 } }), "at '/hostNetwork': additional properties 'hostPort' not allowed"],
    ['a shutdown delay as a duration string', withUrl({ shutdown: { delaySeconds: '5s' } }), "at '/shutdown/delaySeconds': got string, want integer"],
    ['a negative preStop sleep', withUrl({ shutdown: { preStopSleepSeconds: -1 } }), "at '/shutdown/preStopSleepSeconds': minimum: got -1, want 0"],
    ['a shutdown delay over 5 minutes (the process refuses more)', withUrl({ shutdown: { delaySeconds: 301 } }), "at '/shutdown/delaySeconds': maximum: got 301, want 300"],
  ])('rejects %s with the schema', async (_name, values, message) => {
    const result = await helmTemplate(values);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("values don't meet the specifications of the schema(s)");
    expect(result.stderr).toContain(message);
  });

  it('refuses a termination grace period shorter than the preStop sleep, the delay and one review', async () => {
    const result = await helmTemplate(withUrl({ shutdown: { preStopSleepSeconds: 10, delaySeconds: 10, terminationGracePeriodSeconds: 20 }, webhook: { timeoutSeconds: 5 } }));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      'shutdown.terminationGracePeriodSeconds (20) must cover shutdown.preStopSleepSeconds + shutdown.delaySeconds + webhook.timeoutSeconds (25): the kubelet would kill the pod while it still answers reviews',
    );
    expect((await helmTemplate(withUrl({ shutdown: { preStopSleepSeconds: 10, delaySeconds: 10, terminationGracePeriodSeconds: 25 } }))).code).toBe(0);
  });

  it('names the missing registry URL in the template too (for --skip-schema-validation)', async () => {
    const result = await helmTemplate({}, { extraArgs: ['--skip-schema-validation'] });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('registry.url is required when publisher.enabled is true');
  });

  it('names the missing auth Secret and domain in the template too', async () => {
    const token = await helmTemplate(withUrl({ registry: { auth: { mode: 'token' } } }), { extraArgs: ['--skip-schema-validation'] });
    expect(token.stderr).toContain('registry.auth.existingSecret is required when registry.auth.mode is token');
    const dns = await helmTemplate(withUrl({ registry: { auth: { mode: 'dns', existingSecret: 'k' } } }), { extraArgs: ['--skip-schema-validation'] });
    expect(dns.stderr).toContain('registry.auth.domain is required when registry.auth.mode is dns');
  });

  it('refuses a cluster older than 1.30 (webhook matchConditions), through Chart.yaml kubeVersion', async () => {
    const chart = readFileSync(join(chartDir, 'Chart.yaml'), 'utf8');
    expect(chart).toMatch(/^kubeVersion: ">=1\.30\.0-0"$/m);
    const old = await helmTemplate(withUrl(), { extraArgs: ['--kube-version', '1.29.9'] });
    expect(old.code).not.toBe(0);
    expect(old.stderr).toContain('>=1.30.0-0');
    // -0: pre-release and provider builds (v1.30.2-eks-...) are accepted.
    expect((await helmTemplate(withUrl(), { extraArgs: ['--kube-version', '1.30.2-eks-1234'] })).code).toBe(0);
  });

  it('helm lint reports a schema violation as an error', async () => {
    const { args, cleanup } = valuesFileArgs(withUrl({ logLevel: 'verbose' }));
    try {
      const lint = await helm(['lint', chartDir, ...args]);
      expect(lint.code).not.toBe(0);
      expect(lint.stdout).toContain("[ERROR] values.yaml: - at '/logLevel': value must be one of 'debug', 'info', 'warn', 'error'");
    } finally {
      cleanup();
    }
  });
});

describe('NOTES.txt', () => {
  async function notes(values: object): Promise<string> {
    const { args, cleanup } = valuesFileArgs(values);
    try {
      // --dry-run=client renders the release notes without a cluster.
      const result = await helm(['install', RELEASE, chartDir, '--namespace', NS, '--dry-run=client', ...args], { KUBECONFIG: '/nonexistent' });
      expect(result.code, result.stderr).toBe(0);
      return result.stdout.slice(result.stdout.indexOf('NOTES:'));
    } finally {
      cleanup();
    }
  }

  it('tells how to see the first entries: registry search by prefix, publisher log lines, diff', async () => {
    const text = await notes(withUrl({ publisher: { owner: 'cluster-1' } }));
    expect(text).toContain(`REGISTRY_URL=${TEST_REGISTRY_URL}`);
    expect(text).toContain('curl -s "$REGISTRY_URL/v0.1/servers?search=com.toolhive.k8s."');
    expect(text).toContain(`kubectl -n ${NS} logs -l app.kubernetes.io/name=mcp-registry-export,app.kubernetes.io/instance=${RELEASE}`);
    expect(text).toContain('"msg":"(published|');
    expect(text).toContain('mcp-registry-export diff --registry-url "$REGISTRY_URL" --kubeconfig ~/.kube/config --owner "cluster-1"');
    expect(text).toContain(`get lease ${FULLNAME}`);
  });

  it('says what cleanupOnUninstall and a policy other than sync do', async () => {
    const text = await notes(withUrl({ cleanupOnUninstall: true, publishing: { policy: 'upsert-only' } }));
    expect(text).toContain(`helm uninstall\` first runs \`mcp-registry-export prune\` (Job ${FULLNAME}-cleanup)`);
    expect(text).toContain('publishing.policy is upsert-only: the publisher never retires an entry');
    const plain = await notes(withUrl());
    expect(plain).not.toContain('prune');
    expect(plain).not.toContain('publishing.policy');
  });

  it('says nothing is published when the publisher is off', async () => {
    const text = await notes({ publisher: { enabled: false } });
    expect(text).toContain('publisher.enabled is false: nothing is published');
    expect(text).not.toContain('v0.1/servers');
  });
});
