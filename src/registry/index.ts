// Registry clients by flavor. `upstream` speaks the MCP registry API v0.1; the ToolHive
// registry server's v1 write API is not implemented yet.

import type { Logger } from '../observability/logger.ts';
import type { RegistryClient } from './client.ts';
import type { RegistryAuthConfig } from './upstream/auth.ts';
import { UpstreamRegistryClient } from './upstream/client.ts';

export type { RegistryAuthMode } from './upstream/auth.ts';
export type RegistryFlavorName = 'upstream' | 'toolhive';

export interface RegistryConfig {
  url: string;
  flavor: 'upstream';
  auth: RegistryAuthConfig;
}

export function createRegistryClient(config: RegistryConfig, hooks: { logger?: Logger; onRequest?: (operation: string, outcome: string, seconds: number) => void } = {}): RegistryClient {
  return new UpstreamRegistryClient({ baseUrl: config.url, auth: config.auth, ...hooks });
}
