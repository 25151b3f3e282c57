// Registry clients by flavor: `upstream` speaks the MCP registry API v0.1 (upstream/),
// `toolhive` the ToolHive registry server's v1 write API and v0.1 read API (toolhive/).

import type { Logger } from '../observability/logger.ts';
import type { RegistryClient } from './client.ts';
import { ToolHiveRegistryClient } from './toolhive/client.ts';
import type { RegistryAuthConfig } from './upstream/auth.ts';
import { UpstreamRegistryClient } from './upstream/client.ts';

export type { RegistryAuthMode } from './upstream/auth.ts';
export type RegistryFlavorName = 'upstream' | 'toolhive';

export type RegistryConfig =
  | { url: string; flavor: 'upstream'; auth: RegistryAuthConfig }
  | {
      url: string;
      flavor: 'toolhive';
      /** `none` or `token`. */
      auth: RegistryAuthConfig;
      /** The registry (view) read through `/registry/{name}/v0.1`; default `default`. */
      registryName?: string;
    };

export function createRegistryClient(config: RegistryConfig, hooks: { logger?: Logger; onRequest?: (operation: string, outcome: string, seconds: number) => void } = {}): RegistryClient {
  if (config.flavor === 'toolhive') {
    return new ToolHiveRegistryClient({ baseUrl: config.url, auth: config.auth, ...(config.registryName ? { registryName: config.registryName } : {}), ...hooks });
  }
  return new UpstreamRegistryClient({ baseUrl: config.url, auth: config.auth, ...hooks });
}
