// The server.json document (schema 2025-12-11) as the planner produces it: only the
// fields a Kubernetes-derived entry can carry. Key names of `_meta` are the registry's.

import type { OwnershipRecord } from './ownership.ts';
import type { ToolHiveServerExtensions } from './toolhive-extension.ts';

export const SERVER_SCHEMA_URL = 'https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json';
export const PUBLISHER_PROVIDED_KEY = 'io.modelcontextprotocol.registry/publisher-provided';
/** ToolHive's namespace inside publisher-provided (toolhive-core `ToolHivePublisherNamespace`). */
export const TOOLHIVE_PUBLISHER_KEY = 'io.github.stacklok';
/** This project's namespace inside publisher-provided: the ownership record (ownership.ts). */
export const OWNERSHIP_KEY = 'io.github.mcp-registry-export';

export const REMOTE_TYPES = ['streamable-http', 'sse'] as const;
export type RemoteType = (typeof REMOTE_TYPES)[number];

export interface Remote {
  type: RemoteType;
  url: string;
}

export interface PublisherProvided {
  [TOOLHIVE_PUBLISHER_KEY]: Record<string, ToolHiveServerExtensions>;
  [OWNERSHIP_KEY]: OwnershipRecord;
}

export interface ServerEntry {
  $schema: string;
  name: string;
  description: string;
  title?: string;
  version: string;
  icons?: { src: string }[];
  remotes: Remote[];
  _meta: { [PUBLISHER_PROVIDED_KEY]: PublisherProvided };
}
