// `mcp-registry-export certs`: a development CA and a serving certificate for running the
// webhook on a workstation (or pointing a kind cluster's API server at it). The CA's private
// key is thrown away as soon as the serving certificate is signed: the ca.crt a developer
// trusts can then vouch for this one certificate and can never sign anything else.

import { randomBytes } from 'node:crypto';
import { lstat, mkdir, rename, rm, writeFile, chmod } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { createCertificateAuthority, issueServingCertificate } from '../certificates/pki.ts';
import { parseDuration } from './durations.ts';
import { collect, UsageError } from './options.ts';

export const DEFAULT_DNS_NAMES = ['localhost'];
export const DEFAULT_IP_ADDRESSES = ['127.0.0.1'];
export const DEFAULT_VALIDITY = '30d';

export const CA_CERT_FILE = 'ca.crt';
export const TLS_CERT_FILE = 'tls.crt';
export const TLS_KEY_FILE = 'tls.key';

export interface DevelopmentCertificatesRequest {
  dnsNames: readonly string[];
  ipAddresses: readonly string[];
  /** Lifetime of both the CA and the serving certificate. */
  validityMs: number;
  now: number;
}

export interface DevelopmentCertificates {
  caCertPem: string;
  certPem: string;
  keyPem: string;
}

/** A fresh CA that signs exactly one serving certificate; its key is not returned (pure but for randomness). */
export function createDevelopmentCertificates(request: DevelopmentCertificatesRequest): DevelopmentCertificates {
  // A distinct name per CA, so two of them in one trust store can be told apart.
  const commonName = `mcp-registry-export development CA ${randomBytes(4).toString('hex')}`;
  const ca = createCertificateAuthority({ commonName, now: request.now, validityMs: request.validityMs });
  const serving = issueServingCertificate({
    issuer: ca,
    dnsNames: request.dnsNames,
    ipAddresses: request.ipAddresses,
    now: request.now,
    validityMs: request.validityMs,
  });
  return { caCertPem: ca.certPem, certPem: serving.certPem, keyPem: serving.keyPem };
}

// RFC 1123 host names, optionally a leading wildcard label; what an X.509 dNSName may hold.
const DNS_NAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/i;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function parseDnsName(value: string, previous?: string[]): string[] {
  const name = value.trim();
  if (name.length > 253 || !DNS_NAME.test(name)) throw new InvalidArgumentError(`"${value}" is not a DNS name (e.g. localhost, webhook.example.test)`);
  return collect(name.toLowerCase(), previous);
}

function parseIpAddress(value: string, previous?: string[]): string[] {
  const ip = value.trim();
  if (isIP(ip) === 0) throw new InvalidArgumentError(`"${value}" is not an IPv4 or IPv6 address`);
  return collect(ip, previous);
}

function parseLabel(value: string): string {
  const label = value.trim();
  if (label.length > 63 || !DNS_LABEL.test(label)) throw new InvalidArgumentError(`"${value}" is not a Kubernetes name (lower-case letters, digits and -, at most 63)`);
  return label;
}

function parseValidity(value: string): number {
  const ms = parseDuration(value);
  if (ms < 60_000) throw new InvalidArgumentError('must be at least 1m');
  return ms;
}

interface CertsFlags {
  out?: string;
  dnsName?: string[];
  ipAddress?: string[];
  service?: string;
  serviceNamespace?: string;
  validity: number;
  force?: boolean;
}

/** The serving certificate's names: the defaults unless given, then the Service's in-cluster names. */
export function servingNames(flags: Pick<CertsFlags, 'dnsName' | 'ipAddress' | 'service' | 'serviceNamespace'>): { dnsNames: string[]; ipAddresses: string[] } {
  if ((flags.service === undefined) !== (flags.serviceNamespace === undefined)) {
    throw new UsageError('--service and --service-namespace go together (the names are <service>.<namespace>.svc[.cluster.local])');
  }
  const dnsNames = [...(flags.dnsName ?? DEFAULT_DNS_NAMES)];
  if (flags.service !== undefined) {
    const host = `${flags.service}.${flags.serviceNamespace}.svc`;
    dnsNames.push(host, `${host}.cluster.local`);
  }
  return { dnsNames: [...new Set(dnsNames)], ipAddresses: [...new Set(flags.ipAddress ?? DEFAULT_IP_ADDRESSES)] };
}

/** A path as a shell word, for the command line we print. */
function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

/** "ENOTDIR: not a directory, mkdir '/x/y'" -> "not a directory". */
function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^E[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return false; // mkdir reports a bad --out
      throw new UsageError(`cannot look at ${path}: ${reasonOf(error)}`);
    },
  );
}

interface OutputFile {
  name: string;
  content: string;
  mode: number;
}

/**
 * Write every file next to its target first, then rename them into place: a failure while
 * writing (permissions, a full disk) leaves the existing files as they were, an overwritten
 * file gets the new mode whatever the old one had, and a webhook already watching the files
 * sees whole files swapped in.
 */
async function writeAll(dir: string, files: readonly OutputFile[]): Promise<void> {
  const suffix = `.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const staged: string[] = [];
  try {
    for (const file of files) {
      const temporary = join(dir, `.${file.name}${suffix}`);
      staged.push(temporary);
      await writeFile(temporary, file.content, { mode: file.mode, flag: 'wx' });
      await chmod(temporary, file.mode); // the umask may have taken bits away
    }
    for (const [index, file] of files.entries()) await rename(staged[index]!, join(dir, file.name));
  } catch (error) {
    await Promise.all(staged.map((path) => rm(path, { force: true })));
    throw new UsageError(`cannot write to ${dir}: ${reasonOf(error)}`);
  }
}

export function registerCertsCommand(program: Command): void {
  program
    .command('certs')
    .description(
      'write a development CA (ca.crt) and a serving certificate signed by it (tls.crt, tls.key) for running the webhook locally; ' +
        'the CA key is discarded, so the CA cannot sign anything else',
    )
    // Every usage error of this command is one line; the help is one --help away.
    .showHelpAfterError(false)
    .addOption(new Option('--out <dir>', 'directory for ca.crt, tls.crt and tls.key (created if missing)'))
    .addOption(new Option('--dns-name <name>', 'DNS name of the serving certificate; repeatable (default: localhost)').argParser(parseDnsName))
    .addOption(new Option('--ip-address <ip>', 'IP address of the serving certificate; repeatable (default: 127.0.0.1)').argParser(parseIpAddress))
    .addOption(new Option('--service <name>', 'also <service>.<namespace>.svc and <service>.<namespace>.svc.cluster.local').argParser(parseLabel))
    .addOption(new Option('--service-namespace <namespace>', 'namespace of --service').argParser(parseLabel))
    .addOption(new Option('--validity <duration>', 'lifetime of the CA and the certificate (e.g. 12h, 30d)').argParser(parseValidity).default(parseDuration(DEFAULT_VALIDITY), DEFAULT_VALIDITY))
    .addOption(new Option('--force', 'overwrite ca.crt, tls.crt and tls.key if they exist'))
    .addHelpText(
      'after',
      '\nThe CA private key is never written: it signs the one serving certificate and is gone, so trusting\n' +
        'ca.crt (in curl --cacert, a kubeconfig, a webhook caBundle) trusts that certificate and nothing else.\n' +
        'Run again for new names or when the certificate expires. For development only; in a cluster the\n' +
        'webhook gets its certificate from the installation.',
    )
    .action(async (flags: CertsFlags) => {
      if (flags.out === undefined || flags.out.trim() === '') throw new UsageError('certs needs --out DIR');
      const dir = flags.out;
      const names = servingNames(flags);
      const targets = [CA_CERT_FILE, TLS_CERT_FILE, TLS_KEY_FILE].map((name) => join(dir, name));
      if (!flags.force) {
        const present = [];
        for (const target of targets) if (await exists(target)) present.push(target);
        if (present.length > 0) throw new UsageError(`${present.join(', ')} already exist${present.length === 1 ? 's' : ''}; use --force to overwrite`);
      }
      await mkdir(dir, { recursive: true }).catch((error: NodeJS.ErrnoException) => {
        throw new UsageError(error.code === 'EEXIST' ? `${dir} is not a directory` : `cannot create ${dir}: ${reasonOf(error)}`);
      });
      const now = Date.now();
      const certificates = createDevelopmentCertificates({ ...names, validityMs: flags.validity, now });
      await writeAll(dir, [
        { name: CA_CERT_FILE, content: certificates.caCertPem, mode: 0o644 },
        { name: TLS_CERT_FILE, content: certificates.certPem, mode: 0o644 },
        { name: TLS_KEY_FILE, content: certificates.keyPem, mode: 0o600 },
      ]);
      const until = new Date(now + flags.validity).toISOString();
      const [caFile, certFile, keyFile] = targets as [string, string, string];
      const sans = [...names.dnsNames, ...names.ipAddresses].join(', ');
      process.stdout.write(
        [
          `wrote ${caFile} (development CA, valid until ${until}; its key was discarded)`,
          `wrote ${certFile} (serving certificate for ${sans})`,
          `wrote ${keyFile} (its private key, mode 0600)`,
          `next: mcp-registry-export webhook --tls-cert ${shellWord(certFile)} --tls-key ${shellWord(keyFile)} --cluster-lookups off`,
        ].join('\n') + '\n',
      );
    });
}
