// The chart's RBAC through the real RBAC authorizer: the ServiceAccount may do what the
// webhook, the publisher, leader election and the certificate controller need, and no
// more. SubjectAccessReviews (what `kubectl auth can-i --as` sends) for the verbs, and real
// requests impersonating the ServiceAccount (`kubectl --as`) for what a review cannot show:
// list by name needs a fieldSelector; a patch of another webhook configuration is refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, type ControlPlane } from '../support/control-plane.ts';
import { chartDir, extraCrdFiles, TEST_REGISTRY_URL, valuesFileArgs } from '../support/helm-chart.ts';

const NS = 'mre-system';
const FULLNAME = 'mre-mcp-registry-export';
const SA = `system:serviceaccount:${NS}:${FULLNAME}`;
const TLS_SECRET = `${FULLNAME}-tls`;
// A second release in cert-manager mode, where cert-manager writes the Secret.
const CM_NS = 'mre-cm';
const CM_FULLNAME = 'cm-mcp-registry-export';
const CM_SA = `system:serviceaccount:${CM_NS}:${CM_FULLNAME}`;

let cp: ControlPlane;

async function kubectlOk(args: string[], input?: string): Promise<string> {
  const result = await cp.kubectl(args, input === undefined ? {} : { input });
  expect(result.code, `kubectl ${args.join(' ')}\n${result.stderr}`).toBe(0);
  return result.stdout;
}

async function install(release: string, namespace: string, values: object): Promise<void> {
  await kubectlOk(['create', 'namespace', namespace]);
  const { args, cleanup } = valuesFileArgs(values);
  try {
    const result = await cp.helm(['install', release, chartDir, '--namespace', namespace, ...args], { timeoutMs: 120_000 });
    expect(result.code, result.stderr).toBe(0);
  } finally {
    cleanup();
  }
}

/**
 * 'yes' or 'no': may this ServiceAccount do that? Asked with a SubjectAccessReview (what
 * `kubectl auth can-i --as` asks) carrying the groups a ServiceAccount token has. can-i
 * itself resolves resources through discovery, and ReferenceGrant's CRD is not installed
 * in the test control plane; the review takes group, resource and name as they are.
 */
async function canI(serviceAccount: string, verb: string, resource: string, namespace = ''): Promise<string> {
  const saNamespace = serviceAccount.split(':')[2];
  const [typeAndGroup, name] = resource.split('/');
  const [plural, ...group] = typeAndGroup!.split('.');
  const review = {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec: {
      user: serviceAccount,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${saNamespace}`, 'system:authenticated'],
      resourceAttributes: { verb, group: group.join('.'), resource: plural, ...(name ? { name } : {}), ...(namespace ? { namespace } : {}) },
    },
  };
  const answer = JSON.parse(await kubectlOk(['create', '-o', 'json', '-f', '-'], JSON.stringify(review))) as { status: { allowed: boolean } };
  return answer.status.allowed ? 'yes' : 'no';
}

beforeAll(async () => {
  cp = await startControlPlane();
  const crds = await extraCrdFiles();
  await kubectlOk(['apply', '--server-side', ...crds.certManager.flatMap((f) => ['-f', f])]);
  await kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', 'crd/certificates.cert-manager.io', 'crd/issuers.cert-manager.io']);
  await install('mre', NS, { registry: { url: TEST_REGISTRY_URL } });
  await install('cm', CM_NS, { registry: { url: TEST_REGISTRY_URL }, certificates: { mode: 'cert-manager' } });
  // Another product's webhook configurations and Secret, which must stay out of reach.
  await kubectlOk(['apply', '-f', '-'], JSON.stringify({
    apiVersion: 'v1',
    kind: 'List',
    items: [
      ...['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration'].map((kind) => ({
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind,
        metadata: { name: 'other-product' },
        webhooks: [{
          name: 'other.example.com',
          admissionReviewVersions: ['v1'],
          sideEffects: 'None',
          failurePolicy: 'Ignore',
          clientConfig: { url: 'https://127.0.0.1:1/never' },
          rules: [{ apiGroups: ['example.com'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['widgets'] }],
        }],
      })),
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'other-secret', namespace: NS }, stringData: { password: 'x' } },
    ],
  }));
});

afterAll(async () => {
  await cp?.stop();
});

/** verb, resource[.group][/name], namespace ('' for cluster-wide and all namespaces). */
type Ask = [verb: string, resource: string, namespace: string];
const where = (asks: Ask[]) => asks.map(([verb, resource, namespace]) => ({ verb, resource, namespace, scope: namespace ? `in ${namespace}` : 'cluster-wide' }));

const ALLOWED: Ask[] = [
  // the webhook's and the publisher's informers, cluster-wide
  ...['get', 'list', 'watch'].flatMap((verb) =>
    [
      'gatewayclasses.gateway.networking.k8s.io', 'gateways.gateway.networking.k8s.io', 'httproutes.gateway.networking.k8s.io',
      'referencegrants.gateway.networking.k8s.io', 'namespaces', 'services', 'mcpservers.toolhive.stacklok.dev',
      'mcpremoteproxies.toolhive.stacklok.dev', 'virtualmcpservers.toolhive.stacklok.dev', 'mcpserverentries.toolhive.stacklok.dev',
      'mcptoolconfigs.toolhive.stacklok.dev',
    ].map((resource): Ask => [verb, resource, '']),
  ),
  // Events about the watched objects, in their namespaces
  ['create', 'events.events.k8s.io', 'team-a'],
  ['patch', 'events.events.k8s.io', 'team-a'],
  // leader election
  ['create', 'leases.coordination.k8s.io', NS],
  ...['get', 'update', 'patch'].map((verb): Ask => [verb, `leases.coordination.k8s.io/${FULLNAME}`, NS]),
  // the certificate controller: its Secret and both webhook configurations, by name
  ['create', 'secrets', NS],
  ...['get', 'list', 'watch', 'update', 'patch'].map((verb): Ask => [verb, `secrets/${TLS_SECRET}`, NS]),
  ...['get', 'list', 'watch', 'patch', 'update'].flatMap((verb): Ask[] => [
    [verb, `validatingwebhookconfigurations.admissionregistration.k8s.io/${FULLNAME}`, ''],
    [verb, `mutatingwebhookconfigurations.admissionregistration.k8s.io/${FULLNAME}`, ''],
  ]),
];

const DENIED: Ask[] = [
  // other webhook configurations, and any of them without a name
  ['patch', 'validatingwebhookconfigurations.admissionregistration.k8s.io/other-product', ''],
  ['update', 'mutatingwebhookconfigurations.admissionregistration.k8s.io/other-product', ''],
  ['get', 'validatingwebhookconfigurations.admissionregistration.k8s.io/other-product', ''],
  ['list', 'validatingwebhookconfigurations.admissionregistration.k8s.io', ''],
  ['create', 'mutatingwebhookconfigurations.admissionregistration.k8s.io', ''],
  ['delete', `validatingwebhookconfigurations.admissionregistration.k8s.io/${FULLNAME}`, ''],
  // other Secrets, all Secrets, its Secret elsewhere, deleting its own
  ['get', 'secrets/other-secret', NS],
  ['update', 'secrets/other-secret', NS],
  ['list', 'secrets', NS],
  ['get', `secrets/${TLS_SECRET}`, 'default'],
  ['create', 'secrets', 'default'],
  ['delete', `secrets/${TLS_SECRET}`, NS],
  // other Leases
  ['update', 'leases.coordination.k8s.io/other-lease', NS],
  ['create', 'leases.coordination.k8s.io', 'kube-system'],
  // writes to what it only reads, and what it never reads
  ['update', 'httproutes.gateway.networking.k8s.io', 'team-a'],
  ['patch', 'mcpservers.toolhive.stacklok.dev', 'team-a'],
  ['delete', 'events.events.k8s.io', 'team-a'],
  ['get', 'pods', 'team-a'],
  ['get', 'configmaps', NS],
];

describe('what the ServiceAccount may do', () => {
  it.each(where(ALLOWED))('may $verb $resource $scope', async ({ verb, resource, namespace }) => {
    expect(await canI(SA, verb, resource, namespace)).toBe('yes');
  });
});

describe('what the ServiceAccount may not do', () => {
  it.each(where(DENIED))('may not $verb $resource $scope', async ({ verb, resource, namespace }) => {
    expect(await canI(SA, verb, resource, namespace)).toBe('no');
  });
});

describe('real requests as the ServiceAccount', () => {
  const as = `--as=${SA}`;
  const caBundle = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');
  const injectCa = (kind: string, name: string) =>
    cp.kubectl(['patch', kind, name, as, '--type=json', '-p', JSON.stringify([{ op: 'add', path: '/webhooks/0/clientConfig/caBundle', value: caBundle }])]);

  it('patches the caBundle of its own two webhook configurations', async () => {
    for (const kind of ['validatingwebhookconfiguration', 'mutatingwebhookconfiguration']) {
      const patch = await injectCa(kind, FULLNAME);
      expect(patch.code, patch.stderr).toBe(0);
      const config = JSON.parse(await kubectlOk(['get', kind, FULLNAME, '-o', 'json']));
      expect(config.webhooks[0].clientConfig.caBundle).toBe(caBundle);
    }
  });

  it('is refused a patch of another webhook configuration', async () => {
    for (const kind of ['validatingwebhookconfiguration', 'mutatingwebhookconfiguration']) {
      const patch = await injectCa(kind, 'other-product');
      expect(patch.code).not.toBe(0);
      expect(patch.stderr).toMatch(new RegExp(`${kind}s.admissionregistration.k8s.io "other-product" is forbidden: User "${SA}" cannot (get|patch) resource`));
      const config = JSON.parse(await kubectlOk(['get', kind, 'other-product', '-o', 'json']));
      expect(config.webhooks[0].clientConfig.caBundle).toBeUndefined();
    }
  });

  it('lists its webhook configurations and its Secret with a metadata.name fieldSelector, and nothing without one', async () => {
    const byName = await cp.kubectl(['get', 'validatingwebhookconfigurations', as, `--field-selector=metadata.name=${FULLNAME}`, '-o', 'name']);
    expect(byName.code, byName.stderr).toBe(0);
    expect(byName.stdout.trim()).toBe(`validatingwebhookconfiguration.admissionregistration.k8s.io/${FULLNAME}`);
    const all = await cp.kubectl(['get', 'validatingwebhookconfigurations', as, '-o', 'name']);
    expect(all.code).not.toBe(0);
    expect(all.stderr).toContain('cannot list resource "validatingwebhookconfigurations"');

    const secretByName = await cp.kubectl(['get', 'secrets', '-n', NS, as, `--field-selector=metadata.name=${TLS_SECRET}`, '-o', 'name']);
    expect(secretByName.code, secretByName.stderr).toBe(0);
    const allSecrets = await cp.kubectl(['get', 'secrets', '-n', NS, as, '-o', 'name']);
    expect(allSecrets.code).not.toBe(0);
    expect(allSecrets.stderr).toContain('cannot list resource "secrets"');
  });

  it('creates and updates its Secret and its Lease, and may not read another Secret', async () => {
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: TLS_SECRET, namespace: NS }, type: 'Opaque', stringData: { 'tls.crt': 'a' } };
    const create = await cp.kubectl(['create', as, '-f', '-'], { input: JSON.stringify(secret) });
    expect(create.code, create.stderr).toBe(0);
    const update = await cp.kubectl(['patch', 'secret', TLS_SECRET, '-n', NS, as, '--type=merge', '-p', '{"stringData":{"tls.crt":"b"}}']);
    expect(update.code, update.stderr).toBe(0);
    const other = await cp.kubectl(['get', 'secret', 'other-secret', '-n', NS, as]);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toContain('forbidden');

    const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: FULLNAME, namespace: NS }, spec: { holderIdentity: 'pod-a', leaseDurationSeconds: 15 } };
    const createLease = await cp.kubectl(['create', as, '-f', '-'], { input: JSON.stringify(lease) });
    expect(createLease.code, createLease.stderr).toBe(0);
    const renew = await cp.kubectl(['patch', 'lease', FULLNAME, '-n', NS, as, '--type=merge', '-p', '{"spec":{"holderIdentity":"pod-b"}}']);
    expect(renew.code, renew.stderr).toBe(0);
  });

  it('creates an Event about a watched object in another namespace', async () => {
    await kubectlOk(['create', 'namespace', 'team-a']);
    const event = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: 'github.1', namespace: 'team-a' },
      eventTime: new Date().toISOString().replace(/\.\d+Z$/, '.000000Z'),
      reportingController: 'mcp-registry-export.dev/publisher',
      reportingInstance: 'pod-a',
      action: 'Publish',
      reason: 'Published',
      type: 'Normal',
      note: 'published com.toolhive.k8s.team-a/github@1.0.0',
      regarding: { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', namespace: 'team-a', name: 'github' },
    };
    const create = await cp.kubectl(['create', as, '-f', '-'], { input: JSON.stringify(event) });
    expect(create.code, create.stderr).toBe(0);
  });
});

describe('cert-manager mode', () => {
  it('may read its Secret but not create, update or patch Secrets (cert-manager writes them)', async () => {
    for (const verb of ['get', 'list', 'watch']) expect(await canI(CM_SA, verb, `secrets/${CM_FULLNAME}-tls`, CM_NS), verb).toBe('yes');
    for (const verb of ['update', 'patch']) expect(await canI(CM_SA, verb, `secrets/${CM_FULLNAME}-tls`, CM_NS), verb).toBe('no');
    expect(await canI(CM_SA, 'create', 'secrets', CM_NS)).toBe('no');
    expect(await canI(CM_SA, 'update', `leases.coordination.k8s.io/${CM_FULLNAME}`, CM_NS)).toBe('yes');
  });

  it('keeps the two releases apart: one may not patch the other\'s webhook configurations or read its Secret', async () => {
    expect(await canI(SA, 'patch', `validatingwebhookconfigurations.admissionregistration.k8s.io/${CM_FULLNAME}`)).toBe('no');
    expect(await canI(CM_SA, 'patch', `mutatingwebhookconfigurations.admissionregistration.k8s.io/${FULLNAME}`)).toBe('no');
    expect(await canI(CM_SA, 'get', `secrets/${TLS_SECRET}`, NS)).toBe('no');
  });
});
