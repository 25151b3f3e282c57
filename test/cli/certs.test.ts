// `mcp-registry-export certs`: the files and their modes, a serving certificate that chains to
// the CA with the names asked for, no CA key anywhere, refusing to overwrite, --force, one-line
// usage errors, and a real HTTPS webhook started with the files and the printed command.

import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSignedBy, keyMatches } from '../../src/certificates/pki.ts';
import { freePort } from '../support/free-port.ts';
import { httpsClient } from '../support/https-client.ts';
import { createThrowawayCA } from '../support/throwaway-pki.ts';
import { CLI, runCli } from './run-cli.ts';

const DAY_MS = 86_400_000;

let root: string;
let counter = 0;
const freshDir = () => join(root, `out-${++counter}`);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'certs-command-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function readOut(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  const [ca, cert, key] = await Promise.all(['ca.crt', 'tls.crt', 'tls.key'].map((name) => readFile(join(dir, name), 'utf8')));
  return { ca: ca!, cert: cert!, key: key! };
}

async function modeOf(path: string): Promise<string> {
  return ((await stat(path)).mode & 0o777).toString(8);
}

/** The `next:` line as arguments for the CLI, without the program name. */
function nextCommand(stdout: string): string[] {
  const line = stdout.split('\n').find((candidate) => candidate.startsWith('next: '));
  if (!line) throw new Error(`no next: line in ${stdout}`);
  const [program, ...args] = line.slice('next: '.length).split(' ');
  expect(program).toBe('mcp-registry-export');
  return args;
}

describe('certs', () => {
  it('writes ca.crt, tls.crt and tls.key (0600) and nothing else, the certificate signed by the CA for localhost and 127.0.0.1', async () => {
    const dir = join(freshDir(), 'created', 'on-demand');
    const before = Date.now();
    const result = await runCli(['certs', '--out', dir]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.trimEnd().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^wrote ${join(dir, 'ca.crt')} \\(development CA, valid until \\S+; its key was discarded\\)$`)),
      `wrote ${join(dir, 'tls.crt')} (serving certificate for localhost, 127.0.0.1)`,
      `wrote ${join(dir, 'tls.key')} (its private key, mode 0600)`,
      `next: mcp-registry-export webhook --tls-cert ${join(dir, 'tls.crt')} --tls-key ${join(dir, 'tls.key')} --cluster-lookups off`,
    ]);
    expect((await readdir(dir)).sort()).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
    expect(await modeOf(join(dir, 'tls.key'))).toBe('600');
    expect(await modeOf(join(dir, 'tls.crt'))).toBe('644');
    expect(await modeOf(join(dir, 'ca.crt'))).toBe('644');

    const { ca, cert, key } = await readOut(dir);
    const caCert = new X509Certificate(ca);
    const serving = new X509Certificate(cert);
    expect(caCert.ca).toBe(true);
    expect(serving.ca).toBe(false);
    expect(isSignedBy(cert, ca)).toBe(true);
    expect(serving.verify(caCert.publicKey)).toBe(true);
    expect(keyMatches(cert, key)).toBe(true);
    // No CA key: the one private key on disk is the serving certificate's.
    expect(keyMatches(ca, key)).toBe(false);
    expect(ca).not.toContain('PRIVATE KEY');
    expect(cert).not.toContain('PRIVATE KEY');
    expect(serving.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1');
    expect(serving.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']); // serverAuth
    // 30 days by default, for both (validTo has second precision).
    for (const certificate of [caCert, serving]) {
      const notAfter = Date.parse(certificate.validTo);
      expect(notAfter).toBeGreaterThan(before + 30 * DAY_MS - 2_000);
      expect(notAfter).toBeLessThan(Date.now() + 30 * DAY_MS + 1_000);
    }
  });

  it('puts the names asked for in the certificate: --dns-name, --ip-address (v4 and v6), --service, and --validity for both', async () => {
    const dir = freshDir();
    const result = await runCli([
      'certs', '--out', dir,
      '--dns-name', 'webhook.example.test', '--dns-name', 'Other.Example.test',
      '--ip-address', '10.1.2.3', '--ip-address', '::1',
      '--service', 'mcp-registry-export', '--service-namespace', 'mcp-system',
      '--validity', '2d',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const { ca, cert } = await readOut(dir);
    expect(new X509Certificate(cert).subjectAltName).toBe(
      'DNS:webhook.example.test, DNS:other.example.test, DNS:mcp-registry-export.mcp-system.svc, ' +
        'DNS:mcp-registry-export.mcp-system.svc.cluster.local, IP Address:10.1.2.3, IP Address:0:0:0:0:0:0:0:1',
    );
    for (const pem of [ca, cert]) {
      const lifetime = Date.parse(new X509Certificate(pem).validTo) - Date.now();
      expect(lifetime).toBeGreaterThan(2 * DAY_MS - 60_000);
      expect(lifetime).toBeLessThan(2 * DAY_MS + 1_000);
    }
  });

  it('keeps the default names when only --service is given', async () => {
    const dir = freshDir();
    expect((await runCli(['certs', '--out', dir, '--service', 'hook', '--service-namespace', 'tools'])).code).toBe(0);
    expect(new X509Certificate((await readOut(dir)).cert).subjectAltName).toBe(
      'DNS:localhost, DNS:hook.tools.svc, DNS:hook.tools.svc.cluster.local, IP Address:127.0.0.1',
    );
  });

  it('sets the modes whatever the umask', async () => {
    const dir = freshDir();
    const child = spawn('/bin/sh', ['-c', 'umask 077 && exec "$0" "$@"', process.execPath, CLI, 'certs', '--out', dir], { stdio: 'ignore' });
    expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(0);
    expect(await modeOf(join(dir, 'ca.crt'))).toBe('644');
    expect(await modeOf(join(dir, 'tls.crt'))).toBe('644');
    expect(await modeOf(join(dir, 'tls.key'))).toBe('600');
  });

  it('refuses with exit 2 and one line when any of the files exists, and writes nothing', async () => {
    const dir = freshDir();
    expect((await runCli(['certs', '--out', dir])).code).toBe(0);
    const first = await readOut(dir);
    const again = await runCli(['certs', '--out', dir]);
    expect(again.code).toBe(2);
    expect(again.stdout).toBe('');
    expect(again.stderr).toBe(`error: ${join(dir, 'ca.crt')}, ${join(dir, 'tls.crt')}, ${join(dir, 'tls.key')} already exist; use --force to overwrite\n`);
    expect(await readOut(dir)).toEqual(first);

    // One file is enough to refuse; the others are not written either.
    const partial = freshDir();
    await mkdir(partial);
    await writeFile(join(partial, 'tls.key'), 'mine\n');
    const refused = await runCli(['certs', '--out', partial]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(`error: ${join(partial, 'tls.key')} already exists; use --force to overwrite\n`);
    expect(await readdir(partial)).toEqual(['tls.key']);
    expect(await readFile(join(partial, 'tls.key'), 'utf8')).toBe('mine\n');
  });

  it('overwrites with --force: new CA, new certificate, the key back to 0600, no temporary files left', async () => {
    const dir = freshDir();
    expect((await runCli(['certs', '--out', dir])).code).toBe(0);
    const first = await readOut(dir);
    await chmod(join(dir, 'tls.key'), 0o644);
    const forced = await runCli(['certs', '--out', dir, '--force', '--dns-name', 'again.example.test']);
    expect(forced.stderr).toBe('');
    expect(forced.code).toBe(0);
    const second = await readOut(dir);
    expect(second.ca).not.toBe(first.ca);
    expect(second.key).not.toBe(first.key);
    expect(isSignedBy(second.cert, second.ca)).toBe(true);
    expect(isSignedBy(second.cert, first.ca)).toBe(false);
    expect(new X509Certificate(second.cert).subjectAltName).toBe('DNS:again.example.test, IP Address:127.0.0.1');
    expect(await modeOf(join(dir, 'tls.key'))).toBe('600');
    expect((await readdir(dir)).sort()).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
  });

  describe('bad input: exit 2, one line on stderr, no stack trace, nothing written', () => {
    let aFile: string;
    beforeAll(async () => {
      aFile = join(root, 'a-file');
      await writeFile(aFile, 'not a directory\n');
    });

    it.each([
      [[], 'error: certs needs --out DIR'],
      [['--ip-address', '1.2.3'], `error: option '--ip-address <ip>' argument '1.2.3' is invalid. "1.2.3" is not an IPv4 or IPv6 address`],
      [['--ip-address', 'localhost'], 'is not an IPv4 or IPv6 address'],
      [['--dns-name', 'under_score.example'], '"under_score.example" is not a DNS name'],
      [['--validity', 'a month'], '"a month" is not a duration'],
      [['--validity', '30s'], `error: option '--validity <duration>' argument '30s' is invalid. must be at least 1m`],
      [['--service', 'hook'], 'error: --service and --service-namespace go together'],
      [['--service-namespace', 'tools'], 'error: --service and --service-namespace go together'],
      [['--service', 'Hook_1', '--service-namespace', 'tools'], '"Hook_1" is not a Kubernetes name'],
      [['--bogus'], "error: unknown option '--bogus'"],
    ])('%j', async (args, message) => {
      const dir = freshDir();
      const result = await runCli(['certs', ...(args.length === 0 ? [] : ['--out', dir]), ...args]);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr.split('\n')).toEqual([expect.stringContaining(message), '']);
      expect(result.stderr).toMatch(/^error: /);
      await expect(stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
    });

    it('an --out below a file, or a file as --out', async () => {
      const below = await runCli(['certs', '--out', join(aFile, 'sub')]);
      expect(below.code).toBe(2);
      expect(below.stderr).toBe(`error: cannot create ${join(aFile, 'sub')}: not a directory\n`);
      const itself = await runCli(['certs', '--out', aFile, '--force']);
      expect(itself.code).toBe(2);
      expect(itself.stderr).toBe(`error: ${aFile} is not a directory\n`);
      expect(await readFile(aFile, 'utf8')).toBe('not a directory\n');
    });

    // root writes into a mode 0555 directory anyway, so this one only runs as another user.
    it.skipIf(process.getuid?.() === 0)('an unwritable --out', async () => {
      const dir = freshDir();
      await mkdir(dir, { mode: 0o555 });
      const result = await runCli(['certs', '--out', dir]);
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(`error: cannot write to ${dir}: permission denied\n`);
      expect(await readdir(dir)).toEqual([]);
    });
  });

  it('gives files a real HTTPS webhook serves, with the CA as the only trust root, via the printed command', async () => {
    const dir = freshDir();
    const made = await runCli(['certs', '--out', dir]);
    expect(made.code).toBe(0);
    const { ca } = await readOut(dir);
    const port = await freePort();
    // The printed next step, as printed (only the port is ours); --cluster-lookups off is in it.
    const args = [...nextCommand(made.stdout), '--port', String(port)];
    expect(args).toContain('off');
    const webhook = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    webhook.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    webhook.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => webhook.on('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 15_000;
      while (!stdout.includes('admission webhook listening')) {
        if (Date.now() > deadline || webhook.exitCode !== null) throw new Error(`webhook did not start: ${stdout}${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      // By IP (127.0.0.1 is in the certificate)...
      const client = httpsClient(port, ca);
      const health = await client.get('/healthz');
      client.close();
      expect(health.status).toBe(200);
      // ... and by name, with only ca.crt trusted ...
      expect(await getStatus(port, { ca, servername: 'localhost' })).toBe(200);
      // ... while another CA, or the system's roots, do not vouch for it.
      await expect(getStatus(port, { ca: createThrowawayCA().certPem })).rejects.toThrow();
      await expect(getStatus(port, {})).rejects.toThrow();
      // A name that is not in the certificate is refused even with the right CA.
      await expect(getStatus(port, { ca, servername: 'elsewhere.example.test' })).rejects.toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    } finally {
      webhook.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});

function getStatus(port: number, tls: { ca?: string; servername?: string }): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', agent: false, ...tls }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}
