// The registry options shared by `publisher`, `run` and `diff` (cli.md). Secrets come from
// files (mounted Secrets), never from flags.

import { Option, type Command } from 'commander';
import type { RegistryAuthMode, RegistryConfig, RegistryFlavorName } from '../registry/index.ts';
import { UsageError } from './options.ts';

export interface RegistryFlags {
  registryUrl?: string;
  registryFlavor: RegistryFlavorName;
  registryAuth: RegistryAuthMode;
  registryTokenFile?: string;
  registryKeyFile?: string;
  registryDomain?: string;
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
      new Option('--registry-auth <mode>', 'none (anonymous, development only), token (bearer token from a file), dns or http (Ed25519 proof for --registry-domain)')
        .choices(['none', 'token', 'dns', 'http'])
        .env('MCP_REGISTRY_EXPORT_REGISTRY_AUTH')
        .default('none'),
    )
    .addOption(new Option('--registry-token-file <file>', 'file holding the bearer token (--registry-auth token)').env('MCP_REGISTRY_EXPORT_REGISTRY_TOKEN_FILE'))
    .addOption(new Option('--registry-key-file <file>', 'Ed25519 private key, PEM or 64 hex characters (--registry-auth dns|http)').env('MCP_REGISTRY_EXPORT_REGISTRY_KEY_FILE'))
    .addOption(new Option('--registry-domain <domain>', 'domain proven by --registry-auth dns|http (e.g. example.com grants com.example/*)').env('MCP_REGISTRY_EXPORT_REGISTRY_DOMAIN'));
}

/** Checks the combination and turns the flags into a client configuration. */
export function registryConfigFrom(flags: RegistryFlags): RegistryConfig {
  if (!flags.registryUrl) throw new UsageError('--registry-url is required (or MCP_REGISTRY_EXPORT_REGISTRY_URL)');
  let url: URL;
  try {
    url = new URL(flags.registryUrl);
  } catch {
    throw new UsageError(`--registry-url ${JSON.stringify(flags.registryUrl)} is not an absolute URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError(`--registry-url must be http or https, got ${url.protocol}`);
  if (flags.registryFlavor === 'toolhive') throw new UsageError('--registry-flavor toolhive is not supported yet; use upstream');
  const auth = flags.registryAuth;
  if (auth === 'token' && !flags.registryTokenFile) throw new UsageError('--registry-auth token needs --registry-token-file');
  if ((auth === 'dns' || auth === 'http') && (!flags.registryKeyFile || !flags.registryDomain)) {
    throw new UsageError(`--registry-auth ${auth} needs --registry-key-file and --registry-domain`);
  }
  return {
    url: url.toString().replace(/\/+$/, ''),
    flavor: flags.registryFlavor,
    auth: { mode: auth, tokenFile: flags.registryTokenFile, keyFile: flags.registryKeyFile, domain: flags.registryDomain },
  };
}
