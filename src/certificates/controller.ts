// The self-managed certificate controller (run by the leader only): keeps the Secret's CA and
// serving certificate current by the rotation rules, and the caBundle of both webhook
// configurations equal to the Secret's bundle. It watches the Secret and both
// configurations by name, so a `kubectl apply` or `helm upgrade` that overwrote the
// caBundle is repaired within moments, and it looks again when the rules say a renewal is
// due (and every resync interval, in case a watch missed something).

import type { KubeConfig } from '@kubernetes/client-node';
import { errorMessage, getIfExists, requestJson } from '../kubernetes/api-requests.ts';
import { ExponentialBackoff } from '../kubernetes/backoff.ts';
import { watchNamedObject } from '../kubernetes/named-object-watch.ts';
import { timerDelay } from '../kubernetes/timers.ts';
import type { Logger } from '../observability/logger.ts';
import { applyStep, assess, bundlePem, type StoredCertificates } from './material.ts';
import { nextRotationStep, type RotationPolicy, type RotationStep } from './rotation.ts';
import { secretFromStored, storedFromSecret, type SecretObject } from './secret-format.ts';

export interface CertificateControllerOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  secretName: string;
  /** Name of both the Validating- and the MutatingWebhookConfiguration. */
  webhookConfigurationName: string;
  policy: RotationPolicy;
  /** Extra IP SANs (local runs). */
  ipAddresses?: readonly string[];
  logger: Logger;
  resyncIntervalMs?: number;
  now?: () => number;
  /** Told after every change the controller made (tests, metrics). */
  onChange?: (change: CertificateChange) => void;
}

export type CertificateChange = { kind: 'secret'; step: RotationStep['kind']; reason: string } | { kind: 'injected'; configuration: string };

interface WebhookConfiguration {
  metadata: { name: string; resourceVersion?: string };
  webhooks?: { name: string; clientConfig?: { caBundle?: string } }[];
}

const CONFIGURATION_KINDS = [
  { kind: 'ValidatingWebhookConfiguration', path: '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations' },
  { kind: 'MutatingWebhookConfiguration', path: '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations' },
] as const;

const MAX_STEPS_PER_PASS = 5;
const REQUEST_TIMEOUT_MS = 10_000;

export class CertificateController {
  private readonly options: CertificateControllerOptions;
  private readonly now: () => number;
  private readonly secretsPath: string;
  private readonly backoff = new ExponentialBackoff({ initialMs: 500, maxMs: 30_000 });
  private watches: { stop(): void }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private pass: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private lastError = '';
  private missing = new Set<string>();

  constructor(options: CertificateControllerOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.secretsPath = `/api/v1/namespaces/${encodeURIComponent(options.namespace)}/secrets`;
  }

  start(): void {
    const { kubeConfig, logger, secretName, webhookConfigurationName } = this.options;
    const nudge = () => this.nudge();
    this.watches = [
      watchNamedObject({ kubeConfig, collectionPath: this.secretsPath, name: secretName, onEvent: nudge, logger }),
      ...CONFIGURATION_KINDS.map(({ path }) => watchNamedObject({ kubeConfig, collectionPath: path, name: webhookConfigurationName, onEvent: nudge, logger })),
    ];
    this.nudge();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.debounce);
    for (const watch of this.watches) watch.stop();
    await this.pass;
  }

  /** Look now (coalesces bursts of watch events). */
  nudge(): void {
    if (this.stopped) return;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.reconcile(), 20);
  }

  /** One pass; concurrent calls run one more pass after the current one. */
  reconcile(): Promise<void> {
    if (this.pass) {
      this.again = true;
      return this.pass;
    }
    this.pass = (async () => {
      do {
        this.again = false;
        await this.passOnce();
      } while (this.again && !this.stopped);
    })().finally(() => (this.pass = undefined));
    return this.pass;
  }

  private async passOnce(): Promise<void> {
    const { logger } = this.options;
    let recheckAt: number;
    try {
      recheckAt = await this.converge();
      this.backoff.reset();
      if (this.lastError) logger.info('certificates are in order again');
      this.lastError = '';
    } catch (error) {
      const message = errorMessage(error);
      if (message !== this.lastError) logger.error({ secret: this.secretRef(), error: message }, 'cannot manage the webhook certificates');
      this.lastError = message;
      recheckAt = this.now() + this.backoff.next();
    }
    this.schedule(recheckAt);
  }

  private schedule(at: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    const resync = this.options.resyncIntervalMs ?? 5 * 60_000;
    this.timer = setTimeout(() => void this.reconcile(), timerDelay(Math.min(Math.max(0, at - this.now()), resync)));
    this.timer.unref();
  }

  private secretRef(): string {
    return `${this.options.namespace}/${this.options.secretName}`;
  }

  /** Steps until idle, injecting the bundle after every change; returns when to look again. */
  private async converge(): Promise<number> {
    const { policy, logger } = this.options;
    let secret = await this.readSecret();
    let stored = storedFromSecret(secret);
    let injected = await this.inject(bundlePem(stored));
    for (let steps = 0; steps < MAX_STEPS_PER_PASS; steps++) {
      const material = assess(stored);
      const now = this.now();
      const step = nextRotationStep(material, policy, now, injected);
      if (step.kind === 'idle') {
        if (step.waitingFor) logger.info({ secret: this.secretRef(), until: new Date(step.recheckAt).toISOString() }, `waiting for ${step.waitingFor}`);
        return step.recheckAt;
      }
      const next: StoredCertificates = applyStep(stored, material, step, policy, now, {
        caCommonName: `mcp-registry-export CA (${this.options.namespace}/${this.options.webhookConfigurationName})`,
        ...(this.options.ipAddresses ? { ipAddresses: this.options.ipAddresses } : {}),
      });
      secret = await this.writeSecret(secretFromStored(this.options.secretName, this.options.namespace, next, secret), secret === undefined);
      stored = next;
      logger.info({ secret: this.secretRef(), step: step.kind, reason: step.reason }, describeStep(step));
      this.options.onChange?.({ kind: 'secret', step: step.kind, reason: step.reason });
      injected = await this.inject(bundlePem(stored));
    }
    // More steps than a rotation ever takes: look again soon rather than spin.
    return this.now() + 1_000;
  }

  private readSecret(): Promise<SecretObject | undefined> {
    return getIfExists<SecretObject>(this.options.kubeConfig, `${this.secretsPath}/${encodeURIComponent(this.options.secretName)}`, { timeoutMs: REQUEST_TIMEOUT_MS });
  }

  private async writeSecret(secret: SecretObject, create: boolean): Promise<SecretObject> {
    // A conflict (409) means someone else wrote it since we read it: the pass fails and the
    // retry starts from a fresh read, so nothing is decided on a stale Secret.
    return create
      ? requestJson<SecretObject>(this.options.kubeConfig, 'POST', this.secretsPath, secret, { timeoutMs: REQUEST_TIMEOUT_MS })
      : requestJson<SecretObject>(this.options.kubeConfig, 'PUT', `${this.secretsPath}/${encodeURIComponent(this.options.secretName)}`, secret, {
          timeoutMs: REQUEST_TIMEOUT_MS,
        });
  }

  /**
   * Puts the bundle into every webhook of both configurations that lacks it. True when both
   * exist and carry it now. A missing configuration (not installed yet) is reported once;
   * its watch brings us back when it appears.
   */
  private async inject(bundle: string): Promise<boolean> {
    if (bundle === '') return false;
    const caBundle = Buffer.from(bundle, 'utf8').toString('base64');
    let everywhere = true;
    for (const { kind, path } of CONFIGURATION_KINDS) {
      const name = this.options.webhookConfigurationName;
      const objectPath = `${path}/${encodeURIComponent(name)}`;
      const configuration = await getIfExists<WebhookConfiguration>(this.options.kubeConfig, objectPath, { timeoutMs: REQUEST_TIMEOUT_MS });
      if (!configuration) {
        if (!this.missing.has(kind)) this.options.logger.warn({ configuration: `${kind}/${name}` }, 'the webhook configuration does not exist yet; the CA bundle goes in when it appears');
        this.missing.add(kind);
        everywhere = false;
        continue;
      }
      this.missing.delete(kind);
      const webhooks = configuration.webhooks ?? [];
      const patch = webhooks.flatMap((webhook, index) =>
        webhook.clientConfig?.caBundle === caBundle ? [] : [{ op: 'add', path: `/webhooks/${index}/clientConfig/caBundle`, value: caBundle }],
      );
      if (patch.length === 0) continue;
      // The test pins the patch to the version read, so the indexes cannot point at other webhooks.
      await requestJson(this.options.kubeConfig, 'PATCH', objectPath, [{ op: 'test', path: '/metadata/resourceVersion', value: configuration.metadata.resourceVersion }, ...patch], {
        timeoutMs: REQUEST_TIMEOUT_MS,
      });
      this.options.logger.info({ configuration: `${kind}/${name}`, webhooks: patch.length }, 'injected the CA bundle');
      this.options.onChange?.({ kind: 'injected', configuration: `${kind}/${name}` });
    }
    return everywhere;
  }
}

function describeStep(step: Exclude<RotationStep, { kind: 'idle' }>): string {
  switch (step.kind) {
    case 'new-signer':
      return step.alsoIssueLeaf ? 'created a CA and a serving certificate' : 'created a new CA; both CAs are trusted until the switch is complete';
    case 'trust-signer':
      return 'put the signing CA back into the bundle';
    case 'issue-leaf':
      return 'issued a new serving certificate';
    case 'trim-bundle':
      return 'dropped CAs that are no longer needed from the bundle';
  }
}
