// ToolHive's per-remote extension (`publisher-provided["io.github.stacklok"][<url>]`, the
// `ServerExtensions` of stacklok/toolhive-core): status, tier, tools, tags, tool
// definitions and the Kubernetes object behind the remote (discovery.md section 7,
// "Field mapping"). tools and tool definitions as clients see them through the MCP
// resource's MCPToolConfig, if it names one (section 9, tool-config.ts).

import type { RegistryAnnotations } from '../contract/registry-annotations.ts';
import type { OwnedSource } from './ownership.ts';
import { configuredDefinitions, configuredTools, type ToolConfigUse } from './tool-config.ts';

export interface ToolHiveServerExtensions {
  status: 'active';
  /** ToolHive's schema knows Official and Community only. */
  tier?: 'Official' | 'Community';
  tools?: string[];
  tags?: string[];
  tool_definitions?: Record<string, unknown>[];
  /** `Partner` is not in ToolHive's tier enum, so it travels here. */
  custom_metadata?: { tier: 'Partner' };
  metadata: { kubernetes: OwnedSource };
}

/**
 * The extension of one remote. `route` is the exporting route (absent for a direct remote),
 * `resource` the MCP resource behind it (absent for a route-only export); the route's
 * values win. `object` is the MCP resource (route-only: the HTTPRoute). `toolConfig`: what
 * the resource's toolConfigRef comes to (a missing configuration leaves both lists out).
 */
export function toolhiveExtensions(
  route: RegistryAnnotations | undefined,
  resource: RegistryAnnotations | undefined,
  object: OwnedSource,
  toolConfig?: ToolConfigUse,
): ToolHiveServerExtensions {
  // Fields are added in the order of discovery.md's example, `metadata` last.
  const extensions = { status: 'active' } as ToolHiveServerExtensions;
  const tier = route?.tier ?? resource?.tier;
  if (tier === 'Official' || tier === 'Community') extensions.tier = tier;
  const annotatedTools = route?.tools ?? resource?.tools ?? resource?.toolsJson;
  const tools = annotatedTools && configuredTools(annotatedTools, toolConfig);
  if (tools && tools.length > 0) extensions.tools = tools;
  const tags = route?.tags ?? resource?.tags;
  const category = route?.category ?? resource?.category;
  if (category !== undefined && !tags?.includes(category)) extensions.tags = [...(tags ?? []), category];
  else if (tags && tags.length > 0) extensions.tags = [...tags];
  const definitions = resource?.toolDefinitions && configuredDefinitions(resource.toolDefinitions, toolConfig);
  if (definitions && definitions.length > 0) extensions.tool_definitions = definitions;
  if (tier === 'Partner') extensions.custom_metadata = { tier: 'Partner' };
  extensions.metadata = { kubernetes: object };
  return extensions;
}
