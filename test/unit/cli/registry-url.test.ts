// The registry URL refuses what would leak a credential: user:password@ in the URL (it ends
// up in process listings, Deployment specs and logs) and a token or login proof sent over
// plain http to a host that is not loopback, unless --allow-insecure-registry; then a
// warning is logged at start.
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { logInsecureRegistry } from '../../../src/cli/publisher-command.ts';
import { main } from '../../../src/cli/program.ts';
import { addRegistryOptions, insecureRegistryWarning, registryConfigFrom, type RegistryFlags } from '../../../src/cli/registry-options.ts';
import { isLoopbackHost } from '../../../src/contract/value-rules.ts';
import { readSwitchesFromEnvironment, UsageError } from '../../../src/cli/options.ts';
import type { Logger } from '../../../src/observability/logger.ts';

const flags = (extra: Partial<RegistryFlags>): RegistryFlags => ({ registryFlavor: 'upstream', registryAuth: 'none', ...extra });
const token = { registryAuth: 'token', registryTokenFile: '/run/token' } as const;
const dns = { registryAuth: 'dns', registryKeyFile: '/run/key', registryDomain: 'example.com' } as const;
const ENV = 'MCP_REGISTRY_EXPORT_ALLOW_INSECURE_REGISTRY';

afterEach(() => {
  vi.restoreAllMocks();
  delete process.env[ENV];
});

/** `main(argv)` with stderr captured. */
async function runMain(argv: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const code = await main(argv);
  vi.restoreAllMocks();
  return { code, stderr };
}

describe('credentials in --registry-url', () => {
  for (const url of ['https://alice:s3cret-pass@registry.example.com', 'https://s3cret-pass@registry.example.com/v0', 'http://alice:s3cret-pass@127.0.0.1:8080']) {
    it(`refuses ${url.replace('s3cret-pass', '***')} without repeating the credential`, () => {
      let error: unknown;
      try {
        registryConfigFrom(flags({ registryUrl: url }));
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(UsageError);
      const message = (error as Error).message;
      expect(message).toContain('--registry-url must not carry credentials');
      expect(message).not.toContain('s3cret-pass');
      expect(message).not.toContain('alice');
    });
  }

  it('does not echo the credential of a URL that does not parse either', () => {
    expect(() => registryConfigFrom(flags({ registryUrl: 'http://user:s3cret pass@[bad' }))).toThrow(/is not an absolute URL/);
    try {
      registryConfigFrom(flags({ registryUrl: 'http://user:s3cret pass@[bad' }));
    } catch (error) {
      expect((error as Error).message).not.toContain('s3cret');
    }
  });

  it('publisher: exit 2, one line on stderr, the password nowhere', async () => {
    const { code, stderr } = await runMain(['publisher', '--registry-url', 'https://admin:s3cret-pass@registry.example.com', ...['--registry-auth', 'token', '--registry-token-file', '/run/token']]);
    expect(code).toBe(2);
    expect(stderr).toBe('error: --registry-url must not carry credentials (user:password@): pass a token with --registry-auth token and --registry-token-file\n');
    expect(stderr).not.toContain('s3cret');
  });

  it('diff refuses it too (exit 2) before reading anything', async () => {
    const { code, stderr } = await runMain(['diff', '-f', 'examples/', '--owner', 'o', '--registry-url', 'https://admin:s3cret-pass@registry.example.com']);
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).not.toContain('s3cret');
  });
});

describe('a credential over plain http', () => {
  it.each([
    ['token', token],
    ['dns', dns],
    ['http', { ...dns, registryAuth: 'http' }],
  ] as const)('refuses --registry-auth %s to a host that is not loopback, in one line naming the way out', (auth, extra) => {
    expect(() => registryConfigFrom(flags({ registryUrl: 'http://registry.internal:8080', ...extra }))).toThrow(UsageError);
    expect(() => registryConfigFrom(flags({ registryUrl: 'http://registry.internal:8080', ...extra }))).toThrow(
      new RegExp(`^--registry-auth ${auth} over plain http to registry\\.internal:8080 .*--allow-insecure-registry \\(${ENV}\\)`),
    );
  });

  it('the toolhive flavor with a token too', () => {
    expect(() => registryConfigFrom(flags({ registryFlavor: 'toolhive', registryUrl: 'http://10.0.0.7', ...token }))).toThrow(/over plain http to 10\.0\.0\.7/);
  });

  it('allows it with --allow-insecure-registry, and says so in a warning', () => {
    const config = registryConfigFrom(flags({ registryUrl: 'http://registry.internal:8080', ...token, allowInsecureRegistry: true }));
    expect(config).toMatchObject({ url: 'http://registry.internal:8080', auth: { mode: 'token' } });
    expect(insecureRegistryWarning(config)).toMatch(/^--allow-insecure-registry: --registry-auth token goes over plain http to registry\.internal:8080/);
  });

  it('allows https, http without credentials, and http to loopback, without a warning', () => {
    for (const config of [
      registryConfigFrom(flags({ registryUrl: 'https://registry.example.com', ...token })),
      registryConfigFrom(flags({ registryUrl: 'http://registry.internal:8080' })),
      registryConfigFrom(flags({ registryUrl: 'http://127.0.0.1:8080', ...token })),
      registryConfigFrom(flags({ registryUrl: 'http://localhost:8080', ...dns })),
      registryConfigFrom(flags({ registryUrl: 'http://[::1]:8080', ...token })),
    ]) {
      expect(insecureRegistryWarning(config)).toBeUndefined();
    }
  });

  it('knows loopback hosts', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', 'registry.localhost', '[::1]', '[::ffff:7f00:1]', 'localhost.']) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['10.0.0.1', '128.0.0.1', 'localhost.example.com', '127.0.0.1.nip.io', '[::2]', '[::ffff:a00:1]', 'registry.internal']) expect(isLoopbackHost(host), host).toBe(false);
  });

  it('--allow-insecure-registry is read from MCP_REGISTRY_EXPORT_ALLOW_INSECURE_REGISTRY as a switch', async () => {
    const parse = async (argv: string[]): Promise<unknown> => {
      const program = new Command('x').exitOverride();
      let outcome: unknown;
      addRegistryOptions(program.command('go')).action((parsed: RegistryFlags) => {
        try {
          outcome = registryConfigFrom(parsed).url;
        } catch (error) {
          outcome = error;
        }
      });
      readSwitchesFromEnvironment(program);
      await program.parseAsync(argv, { from: 'user' });
      return outcome;
    };
    const argv = ['go', '--registry-url', 'http://registry.internal', '--registry-auth', 'token', '--registry-token-file', '/t'];
    expect(await parse(argv)).toBeInstanceOf(UsageError);
    expect(await parse([...argv, '--allow-insecure-registry'])).toBe('http://registry.internal');
    process.env[ENV] = 'true';
    expect(await parse(argv)).toBe('http://registry.internal');
    process.env[ENV] = 'false';
    expect(await parse(argv)).toBeInstanceOf(UsageError);
  });

  it('publisher and run log the warning once at start (host and auth mode, never a credential)', () => {
    const warn = vi.fn();
    const logger = { warn } as unknown as Logger;
    logInsecureRegistry(registryConfigFrom(flags({ registryUrl: 'http://registry.internal:8080', ...token, allowInsecureRegistry: true })), logger);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toEqual({ registryHost: 'registry.internal:8080', auth: 'token' });
    expect(warn.mock.calls[0]![1]).toContain('plain http');
    logInsecureRegistry(registryConfigFrom(flags({ registryUrl: 'http://127.0.0.1:8080', ...token })), logger);
    logInsecureRegistry(registryConfigFrom(flags({ registryUrl: 'https://registry.example.com', ...token })), logger);
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('publisher without the flag: exit 2 with the one-line refusal', async () => {
    const { code, stderr } = await runMain(['publisher', '--registry-url', 'http://registry.internal', '--registry-auth', 'token', '--registry-token-file', '/run/token']);
    expect(code).toBe(2);
    expect(stderr.split('\n').filter(Boolean)).toEqual([expect.stringMatching(/^error: --registry-auth token over plain http to registry\.internal would send the token in clear/)]);
  });
});
