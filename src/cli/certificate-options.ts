// How the webhook gets its serving certificate: `external` (files someone else keeps current:
// cert-manager, the `certs` command, a mounted Secret) or `self-managed` (the leader runs the
// certificate controller, which keeps a CA and a serving certificate in a Secret and the CA
// bundle in both webhook configurations; every replica reads the files mounted from it).

import { InvalidArgumentError, Option, type Command } from 'commander';
import type { KubeConfig } from '@kubernetes/client-node';
import { isIP } from 'node:net';
import { CertificateController } from '../certificates/controller.ts';
import type { RotationPolicy } from '../certificates/rotation.ts';
import type { Logger } from '../observability/logger.ts';
import { collect } from './options.ts';
import { parseDuration } from './durations.ts';
import { resolveInstallNamespace } from './install-namespace.ts';

export interface CertificateFlags {
  certificateMode: 'self-managed' | 'external';
  certificateSecret: string;
  webhookService: string;
  webhookConfiguration: string;
  caValidity: number;
  certificateValidity: number;
  certificateOverlap: number;
  certificateIpAddress?: string[];
  certificateWait: number;
  installNamespace?: string;
}

const durationAtLeast = (minimumMs: number, what: string) => (value: string) => {
  const ms = parseDuration(value);
  if (ms < minimumMs) throw new InvalidArgumentError(`must be at least ${what}`);
  return ms;
};

function parseIp(value: string, previous: string[] = []): string[] {
  if (isIP(value) === 0) throw new InvalidArgumentError(`"${value}" is not an IP address`);
  return collect(value, previous);
}

/** Added after addLeaderElectionOptions (which defines --install-namespace). */
export function addCertificateOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--certificate-mode <mode>', 'self-managed: the leader creates and rotates the serving certificate; external: the files are kept current by someone else (cert-manager)')
        .choices(['self-managed', 'external'])
        .env('MCP_REGISTRY_EXPORT_CERTIFICATE_MODE')
        .default('external'),
    )
    .addOption(new Option('--certificate-secret <name>', 'Secret holding the CA and serving certificate (self-managed)').env('MCP_REGISTRY_EXPORT_CERTIFICATE_SECRET').default('mcp-registry-export-tls'))
    .addOption(new Option('--webhook-service <name>', 'Service in front of the webhook; names the certificate (<svc>.<ns>.svc)').env('MCP_REGISTRY_EXPORT_WEBHOOK_SERVICE').default('mcp-registry-export'))
    .addOption(
      new Option('--webhook-configuration <name>', 'name of both the Validating- and the MutatingWebhookConfiguration that get the CA bundle')
        .env('MCP_REGISTRY_EXPORT_WEBHOOK_CONFIGURATION')
        .default('mcp-registry-export'),
    )
    .addOption(new Option('--ca-validity <duration>', 'lifetime of a CA; renewed with a third left').env('MCP_REGISTRY_EXPORT_CA_VALIDITY').argParser(durationAtLeast(60_000, '1m')).default(parseDuration('730d'), '730d'))
    .addOption(
      new Option('--certificate-validity <duration>', 'lifetime of a serving certificate; renewed with a third left')
        .env('MCP_REGISTRY_EXPORT_CERTIFICATE_VALIDITY')
        .argParser(durationAtLeast(30_000, '30s'))
        .default(parseDuration('90d'), '90d'),
    )
    .addOption(
      new Option('--certificate-overlap <duration>', 'how long the old and the new CA are both trusted around a CA change (longer than the kubelet takes to update a mounted Secret)')
        .env('MCP_REGISTRY_EXPORT_CERTIFICATE_OVERLAP')
        .argParser(durationAtLeast(0, '0s'))
        .default(parseDuration('10m'), '10m'),
    )
    .addOption(new Option('--certificate-ip-address <ip>', 'extra IP address in the serving certificate; repeatable (local runs)').argParser(parseIp))
    .addOption(
      new Option('--certificate-wait <duration>', 'wait this long for the serving certificate files to appear before giving up (0: they must exist at start)')
        .env('MCP_REGISTRY_EXPORT_CERTIFICATE_WAIT')
        .argParser(durationAtLeast(0, '0s'))
        .default(0, '0s'),
    );
}

export function validateCertificateFlags(flags: CertificateFlags): string | undefined {
  if (flags.certificateMode !== 'self-managed') return undefined;
  if (flags.certificateValidity > flags.caValidity) return '--certificate-validity must not be longer than --ca-validity';
  if (flags.certificateOverlap * 3 > flags.caValidity) return '--certificate-overlap must be shorter than a third of --ca-validity';
  return undefined;
}

export function rotationPolicyFrom(flags: CertificateFlags): RotationPolicy {
  const namespace = resolveInstallNamespace(flags.installNamespace);
  return {
    caValidityMs: flags.caValidity,
    certificateValidityMs: flags.certificateValidity,
    overlapMs: flags.certificateOverlap,
    dnsNames: [`${flags.webhookService}.${namespace}.svc`, `${flags.webhookService}.${namespace}.svc.cluster.local`],
  };
}

/** The leader's certificate work, or nothing in external mode. */
export function certificateControllerFor(flags: CertificateFlags, kubeConfig: KubeConfig, logger: Logger): CertificateController | undefined {
  if (flags.certificateMode !== 'self-managed') return undefined;
  return new CertificateController({
    kubeConfig,
    namespace: resolveInstallNamespace(flags.installNamespace),
    secretName: flags.certificateSecret,
    webhookConfigurationName: flags.webhookConfiguration,
    policy: rotationPolicyFrom(flags),
    ...(flags.certificateIpAddress?.length ? { ipAddresses: flags.certificateIpAddress } : {}),
    logger: logger.child({ component: 'certificates' }),
  });
}
