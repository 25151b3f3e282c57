// Tool configuration (discovery.md section 9): an MCPServer or MCPRemoteProxy may name an
// MCPToolConfig of its namespace (`spec.toolConfigRef.name`), and ToolHive's proxy then
// shows clients other tools than the server has. The registry shows what clients get, so
// the annotated lists (the server's own tool names) go through the same steps as in the
// proxy's `applyFilteringAndOverrides` (stacklok/toolhive pkg/mcp/tool_filter.go):
//   1. override: `toolsOverride[<own name>]` replaces the name and the description, each
//      only when set (an empty string changes nothing);
//   2. filter: when `toolsFilter` is not empty, only tools whose name after the override is
//      in it remain.
// Order is kept. Annotation overrides (`toolsOverride[...].annotations`) are not applied:
// the operator hands the proxy of an MCPServer or MCPRemoteProxy only name and description
// (runner.ToolOverride), so clients see the server's own annotations (docs/planner.md).
// Pure: the MCPToolConfig comes from the look-ups the caller passes.

import type { ClusterLookups } from '../cluster/lookups.ts';
import { apiGroupOf, TOOLHIVE_GROUP } from '../kubernetes/kinds.ts';
import { isPlainObject, type KubeObject, type MCPToolConfig } from '../kubernetes/objects.ts';

export const TOOL_CONFIG_KIND = 'MCPToolConfig';

/** The kinds whose proxy applies an MCPToolConfig. VirtualMCPServer's aggregation is out of scope (v1). */
const CONFIGURED_KINDS: ReadonlySet<string> = new Set(['MCPServer', 'MCPRemoteProxy']);

interface ToolOverride {
  name: string;
  description: string;
}

/** An MCPToolConfig's spec as the proxy uses it. */
export interface ToolConfig {
  /** Empty: every tool. */
  filter: ReadonlySet<string>;
  /** By the server's own tool name; '' means "not overridden". */
  overrides: ReadonlyMap<string, ToolOverride>;
}

/**
 * What an MCP resource's toolConfigRef comes to: undefined (no reference, or a kind that
 * has none), the configuration it names, or `missing` (the name is not in its namespace).
 */
export type ToolConfigUse = ToolConfig | { missing: string } | undefined;

/** A spec that breaks the CRD schema where this reads it throws; the entry is then skipped as malformed. */
function schemaError(what: string, problem: string): never {
  throw new TypeError(`${what} ${problem}`);
}

/** `spec.toolConfigRef.name` of an MCPServer or MCPRemoteProxy, if it names one. */
export function toolConfigName(object: KubeObject): string | undefined {
  if (!CONFIGURED_KINDS.has(object.kind ?? '')) return undefined;
  const ref = (object.spec as { toolConfigRef?: unknown } | undefined)?.toolConfigRef;
  if (ref === undefined || ref === null) return undefined;
  if (!isPlainObject(ref) || typeof ref.name !== 'string') schemaError('spec.toolConfigRef', 'is not an object with a string name');
  return ref.name;
}

/** The spec of an MCPToolConfig, checked where it is read. */
export function toolConfigOf(config: MCPToolConfig, label: string): ToolConfig {
  const spec: unknown = config.spec ?? {};
  if (!isPlainObject(spec)) schemaError(`${label}: spec`, 'is not an object');
  const filterList = spec.toolsFilter ?? [];
  if (!Array.isArray(filterList) || !filterList.every((name) => typeof name === 'string')) schemaError(`${label}: spec.toolsFilter`, 'is not a list of strings');
  const overrideMap = spec.toolsOverride ?? {};
  if (!isPlainObject(overrideMap)) schemaError(`${label}: spec.toolsOverride`, 'is not an object');
  const overrides = new Map<string, ToolOverride>();
  for (const [actual, override] of Object.entries(overrideMap)) {
    if (!isPlainObject(override)) schemaError(`${label}: spec.toolsOverride[${JSON.stringify(actual.slice(0, 64))}]`, 'is not an object');
    const { name = '', description = '' } = override;
    if (typeof name !== 'string' || typeof description !== 'string') {
      schemaError(`${label}: spec.toolsOverride[${JSON.stringify(actual.slice(0, 64))}]`, 'has a name or description that is not a string');
    }
    overrides.set(actual, { name, description });
  }
  return { filter: new Set(filterList as string[]), overrides };
}

/**
 * The tool configuration that applies to an MCP resource in `namespace`. Only an
 * MCPToolConfig of ToolHive's API group counts; one being deleted still applies (ToolHive's
 * finalizer keeps it while it is referenced).
 */
export function toolConfigFor(resource: KubeObject, namespace: string, lookups: ClusterLookups): ToolConfigUse {
  const name = toolConfigName(resource);
  if (name === undefined) return undefined;
  const config = name === '' ? undefined : lookups.get(TOOL_CONFIG_KIND, namespace, name);
  if (!config || apiGroupOf(config.apiVersion) !== TOOLHIVE_GROUP) return { missing: name };
  return toolConfigOf(config as MCPToolConfig, `${TOOL_CONFIG_KIND} ${namespace}/${name}`);
}

/** One tool as clients see it (name, and the description when overridden), or undefined when filtered out. */
function shown(name: string, config: ToolConfig): { name: string; description?: string } | undefined {
  const override = config.overrides.get(name);
  const shownName = override?.name ? override.name : name;
  if (config.filter.size > 0 && !config.filter.has(shownName)) return undefined;
  return override?.description ? { name: shownName, description: override.description } : { name: shownName };
}

/** The `tools` list as clients see it; undefined when the configuration is missing (nothing is published). */
export function configuredTools(tools: readonly string[], use: ToolConfigUse): string[] | undefined {
  if (use === undefined) return [...tools];
  if ('missing' in use) return undefined;
  return tools.flatMap((tool) => {
    const result = shown(tool, use);
    return result ? [result.name] : [];
  });
}

/**
 * The `tool_definitions` as clients see them: each definition with its name (and its
 * description, when overridden) replaced, every other field as annotated.
 */
export function configuredDefinitions(definitions: readonly Record<string, unknown>[], use: ToolConfigUse): Record<string, unknown>[] | undefined {
  if (use === undefined) return [...definitions];
  if ('missing' in use) return undefined;
  return definitions.flatMap((definition) => {
    const result = shown(definition.name as string, use);
    if (!result) return [];
    return [{ ...definition, name: result.name, ...(result.description !== undefined ? { description: result.description } : {}) }];
  });
}
