// The registry options shared by `publisher`, `run` and `diff` (cli.md). Secrets come from
// files (mounted Secrets), never from flags. `toolhive` (the ToolHive registry server) takes
// a bearer token or no auth, and reads through one of its registries (`--toolhive-registry`).

import { Option, type Command } from 'commander';
import { isLoopbackHost } from '../contract/value-rules.ts';
import type { RegistryAuthMode, RegistryConfig, RegistryFlavorName } from '../registry/index.ts';
import { DEFAULT_TOOLHIVE_REGISTRY } from '../registry/toolhive/client.ts';
import { UsageError } from './options.ts';

export interface RegistryFlags {
  registryUrl?: string;
  registryFlavor: RegistryFlavorName;
  registryAuth: RegistryAuthMode;
  registryTokenFile?: string;
  registryKeyFile?: string;
  registryDomain?: string;
  toolhiveRegistry?: string;
  allowInsecureRegistry?: boolean;
}

export function addRegistryOptions(command: Command): Command {
  return command
    .addOption(new Option('--registry-url <url>', 'base URL of the MCP registry').env('MCP_REGISTRY_EXPORT_REGISTRY_URL'))
    .addOption(
      new Option('--registry-flavor <flavor>', 'registry API: upstream (MCP registry API v0.1) or toolhive (ToolHive registry server)')
        .choices(['upstream', 'toolhive'])
        .env('MCP_REGISTRY_EXPORT_REGISTRY_FLAVOR')
        .default('upstream'),
    )
    .addOption(
      new Option('--registry-auth <mode>', 'none (upstream: anonymous login, development only; toolhive: no token, for a server with auth off), token (bearer token from a file), dns or http (upstream only: Ed25519 proof for --registry-domain)')
        .choices(['none', 'token', 'dns', 'http'])
        .env('MCP_REGISTRY_EXPORT_REGISTRY_AUTH')
        .default('none'),
    )
    .addOption(new Option('--registry-token-file <file>', 'file holding the bearer token (--registry-auth token)').env('MCP_REGISTRY_EXPORT_REGISTRY_TOKEN_FILE'))
    .addOption(new Option('--registry-key-file <file>', 'Ed25519 private key, PEM or 64 hex characters (--registry-auth dns|http)').env('MCP_REGISTRY_EXPORT_REGISTRY_KEY_FILE'))
    .addOption(new Option('--registry-domain <domain>', 'domain proven by --registry-auth dns|http (e.g. example.com grants com.example/*)').env('MCP_REGISTRY_EXPORT_REGISTRY_DOMAIN'))
    .addOption(
      new Option('--allow-insecure-registry', 'allow --registry-auth token|dns|http over plain http:// to a host that is not loopback (the credential crosses the network in clear; a warning is logged)').env(
        'MCP_REGISTRY_EXPORT_ALLOW_INSECURE_REGISTRY',
      ),
    )
    .addOption(
      new Option('--toolhive-registry <name>', `registry of the ToolHive registry server to read through (/registry/NAME/v0.1; it must include the managed source) (default: "${DEFAULT_TOOLHIVE_REGISTRY}")`).env(
        'MCP_REGISTRY_EXPORT_TOOLHIVE_REGISTRY',
      ),
    );
}

/** Checks the combination and turns the flags into a client configuration. */
export function registryConfigFrom(flags: RegistryFlags): RegistryConfig {
  if (!flags.registryUrl) throw new UsageError('--registry-url is required (or MCP_REGISTRY_EXPORT_REGISTRY_URL)');
  let url: URL;
  try {
    url = new URL(flags.registryUrl);
  } catch {
    throw new UsageError(`--registry-url ${JSON.stringify(redactUserinfo(flags.registryUrl))} is not an absolute URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError(`--registry-url must be http or https, got ${url.protocol}`);
  // Never echoed: the message names neither the user nor the password.
  if (url.username !== '' || url.password !== '') {
    throw new UsageError('--registry-url must not carry credentials (user:password@): pass a token with --registry-auth token and --registry-token-file');
  }
  const auth = flags.registryAuth;
  if (auth !== 'none' && url.protocol === 'http:' && !isLoopbackHost(url.hostname) && flags.allowInsecureRegistry !== true) {
    throw new UsageError(
      `--registry-auth ${auth} over plain http to ${url.host} would send the ${auth === 'token' ? 'token' : 'login proof'} in clear: use https, or --allow-insecure-registry (MCP_REGISTRY_EXPORT_ALLOW_INSECURE_REGISTRY) if the network is trusted`,
    );
  }
  if (flags.registryFlavor === 'toolhive' && (auth === 'dns' || auth === 'http')) {
    throw new UsageError(`--registry-flavor toolhive takes --registry-auth token (a bearer token) or none, not ${auth} (an upstream registry login)`);
  }
  if (flags.registryFlavor !== 'toolhive' && flags.toolhiveRegistry !== undefined) throw new UsageError('--toolhive-registry is only for --registry-flavor toolhive');
  if (flags.toolhiveRegistry !== undefined && !/^[^\s/]+$/.test(flags.toolhiveRegistry)) {
    throw new UsageError(`--toolhive-registry ${JSON.stringify(flags.toolhiveRegistry)} is not a registry name (no spaces or slashes)`);
  }
  if (auth === 'token' && !flags.registryTokenFile) throw new UsageError('--registry-auth token needs --registry-token-file');
  if ((auth === 'dns' || auth === 'http') && (!flags.registryKeyFile || !flags.registryDomain)) {
    throw new UsageError(`--registry-auth ${auth} needs --registry-key-file and --registry-domain`);
  }
  const base = { url: url.toString().replace(/\/+$/, ''), auth: { mode: auth, tokenFile: flags.registryTokenFile, keyFile: flags.registryKeyFile, domain: flags.registryDomain } };
  if (flags.registryFlavor === 'toolhive') return { ...base, flavor: 'toolhive', registryName: flags.toolhiveRegistry ?? DEFAULT_TOOLHIVE_REGISTRY };
  return { ...base, flavor: 'upstream' };
}

/**
 * The warning to log at start when credentials go over plain http to a host that is not
 * loopback (only possible with --allow-insecure-registry); undefined otherwise.
 */
export function insecureRegistryWarning(registry: RegistryConfig): string | undefined {
  const url = new URL(registry.url);
  if (registry.auth.mode === 'none' || url.protocol !== 'http:' || isLoopbackHost(url.hostname)) return undefined;
  return `--allow-insecure-registry: --registry-auth ${registry.auth.mode} goes over plain http to ${url.host}; anyone on the path can read and replay the credential`;
}

/** The URL with any user:password@ replaced, for messages about a URL that does not parse. */
function redactUserinfo(text: string): string {
  return text.replace(/^([^/]*\/\/)?[^/?#]*@/, (_match, scheme: string | undefined) => `${scheme ?? ''}***@`);
}

