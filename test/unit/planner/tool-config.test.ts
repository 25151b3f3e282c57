// Tool configuration (discovery.md section 9): the tools and tool_definitions an entry
// publishes for an MCPServer or MCPRemoteProxy that names an MCPToolConfig are what
// ToolHive's proxy shows clients: override first, then filter on the overridden name,
// order kept. Annotation overrides are not applied (ToolHive's proxy does not apply them
// to these kinds); a missing MCPToolConfig leaves both lists out, with a warning.

import { describe, expect, it } from 'vitest';
import type { KubeObject, MCPToolConfig } from '../../../src/kubernetes/objects.ts';
import { OWNERSHIP_KEY, PUBLISHER_PROVIDED_KEY, TOOLHIVE_PUBLISHER_KEY, type ServerEntry } from '../../../src/planner/server-entry.ts';
import type { ToolHiveServerExtensions } from '../../../src/planner/toolhive-extension.ts';
import { configuredDefinitions, configuredTools, toolConfigOf } from '../../../src/planner/tool-config.ts';
import { annotations, mcpServer, planValid, remoteProxy, route, skipsOf, virtualServer, warningsOf, world } from './fixtures.ts';

const URL = 'https://mcp.example.com/mcp';
const DIRECT = 'https://direct.example.com/mcp';

function toolConfig(namespace: string, name: string, spec: Record<string, unknown>, apiVersion = 'toolhive.stacklok.dev/v1beta1'): KubeObject {
  return { apiVersion, kind: 'MCPToolConfig', metadata: { name, namespace }, spec };
}

const DEFINITIONS = [
  { name: 'create_pr', description: 'Open a pull request', inputSchema: { type: 'object' }, annotations: { title: 'Create PR', readOnlyHint: false } },
  { name: 'merge_pr', description: 'Merge a pull request', annotations: { destructiveHint: true } },
  { name: 'list_issues', inputSchema: { type: 'object' } },
];

/** An MCPServer exported with its own URL whose spec names MCPToolConfig `github-tools`. */
function configuredServer(values: Record<string, string>, kind: 'MCPServer' | 'MCPRemoteProxy' = 'MCPServer', ref: unknown = { name: 'github-tools' }): KubeObject {
  const options = {
    annotations: annotations({ 'registry-export': 'true', 'registry-url': DIRECT, 'registry-description': 'GitHub', ...values }),
  };
  if (kind === 'MCPRemoteProxy') return remoteProxy('mcp', 'github', { ...options, spec: { remoteUrl: 'https://api.example.com/mcp', transport: 'streamable-http', toolConfigRef: ref } });
  return mcpServer('mcp', 'github', { ...options, spec: { image: 'ghcr.io/example/github-mcp', transport: 'streamable-http', toolConfigRef: ref } });
}

function extensionOf(entry: ServerEntry | undefined, url = DIRECT): ToolHiveServerExtensions {
  expect(entry, 'an entry').toBeDefined();
  return entry!._meta[PUBLISHER_PROVIDED_KEY][TOOLHIVE_PUBLISHER_KEY][url]!;
}

/** tools and tool_definitions of the one entry, as published. */
function published(objects: KubeObject[], url = DIRECT): Pick<ToolHiveServerExtensions, 'tools' | 'tool_definitions'> {
  const result = planValid(objects);
  expect(skipsOf(result)).toEqual([]);
  const { tools, tool_definitions } = extensionOf(result.entries[0], url);
  return { ...(tools ? { tools } : {}), ...(tool_definitions ? { tool_definitions } : {}) };
}

const TOOLS = { 'registry-tools': 'create_pr,merge_pr,list_issues' };

describe('tools through an MCPToolConfig', () => {
  it.each<[string, Record<string, unknown>, string[] | undefined]>([
    ['no filter, no override: as annotated', {}, ['create_pr', 'merge_pr', 'list_issues']],
    ['an empty filter keeps every tool', { toolsFilter: [] }, ['create_pr', 'merge_pr', 'list_issues']],
    ['filter only: the listed tools, in the server\'s order', { toolsFilter: ['list_issues', 'create_pr', 'not_a_tool'] }, ['create_pr', 'list_issues']],
    ['a filter that keeps nothing: no tools at all', { toolsFilter: ['nothing'] }, undefined],
    ['override only: renamed in place', { toolsOverride: { merge_pr: { name: 'github_merge' } } }, ['create_pr', 'github_merge', 'list_issues']],
    ['override of the description only: names unchanged', { toolsOverride: { merge_pr: { description: 'Merge it' } } }, ['create_pr', 'merge_pr', 'list_issues']],
    ['override of annotations only: names unchanged', { toolsOverride: { merge_pr: { annotations: { title: 'Merge' } } } }, ['create_pr', 'merge_pr', 'list_issues']],
    ['an override with empty strings changes nothing', { toolsOverride: { merge_pr: { name: '', description: '' } } }, ['create_pr', 'merge_pr', 'list_issues']],
    ['an override of a tool the server does not list does nothing', { toolsOverride: { delete_repo: { name: 'create_pr2' } } }, ['create_pr', 'merge_pr', 'list_issues']],
    ['both: the filter sees the name after the override', { toolsOverride: { merge_pr: { name: 'github_merge' } }, toolsFilter: ['github_merge', 'create_pr'] }, ['create_pr', 'github_merge']],
    ['both: the own name of a renamed tool does not pass the filter', { toolsOverride: { merge_pr: { name: 'github_merge' } }, toolsFilter: ['merge_pr', 'list_issues'] }, ['list_issues']],
    ['two tools renamed to one name: both kept, in order', { toolsOverride: { create_pr: { name: 'pr' }, merge_pr: { name: 'pr' } }, toolsFilter: ['pr'] }, ['pr', 'pr']],
    ['a rename onto another tool\'s own name', { toolsOverride: { create_pr: { name: 'list_issues' } }, toolsFilter: ['list_issues'] }, ['list_issues', 'list_issues']],
  ])('%s', (_label, spec, tools) => {
    expect(published([configuredServer(TOOLS), toolConfig('mcp', 'github-tools', spec)]).tools).toEqual(tools);
  });

  it('tool names that are Object.prototype keys are tool names like any other', () => {
    const server = configuredServer({ 'registry-tools': 'constructor,toString,__proto__' });
    expect(published([server, toolConfig('mcp', 'github-tools', { toolsOverride: { toString: { name: 'to_string' } } })]).tools).toEqual(['constructor', 'to_string', '__proto__']);
    expect(published([server, toolConfig('mcp', 'github-tools', { toolsFilter: ['constructor'] })]).tools).toEqual(['constructor']);
  });

  it.each<[string, Record<string, string>]>([
    ['registry-tools', { 'registry-tools': 'create_pr,merge_pr' }],
    ['the tools JSON annotation', { tools: '["create_pr","merge_pr"]' }],
  ])('applies to the list from %s alike', (_label, values) => {
    const config = toolConfig('mcp', 'github-tools', { toolsOverride: { create_pr: { name: 'open_pr' } }, toolsFilter: ['open_pr'] });
    expect(published([configuredServer(values), config]).tools).toEqual(['open_pr']);
  });

  it('applies to the route\'s registry-tools for the MCP resource behind it (clients go through the proxy)', () => {
    const server = mcpServer('mcp', 'github', { spec: { image: 'ghcr.io/example/github-mcp', transport: 'streamable-http', toolConfigRef: { name: 'github-tools' } } });
    const exporting = route({ annotations: annotations({ 'registry-export': 'true', 'registry-tools': 'create_pr,merge_pr' }) });
    const config = toolConfig('mcp', 'github-tools', { toolsFilter: ['merge_pr'] });
    expect(published(world(server, exporting, config), URL)).toEqual({ tools: ['merge_pr'] });
  });

  it('applies to an MCPRemoteProxy', () => {
    const config = toolConfig('mcp', 'github-tools', { toolsOverride: { list_issues: { name: 'issues' } }, toolsFilter: ['issues'] });
    expect(published([configuredServer(TOOLS, 'MCPRemoteProxy'), config]).tools).toEqual(['issues']);
  });

  it('a VirtualMCPServer\'s lists are published as annotated (its aggregation is out of scope)', () => {
    const vmcp = virtualServer('mcp', 'all', {
      annotations: annotations({ 'registry-export': 'true', 'registry-url': DIRECT, 'registry-description': 'All', ...TOOLS, 'tool-definitions': JSON.stringify(DEFINITIONS) }),
      spec: { toolConfigRef: { name: 'github-tools' }, config: { aggregation: { tools: [{ workload: 'github', toolConfigRef: { name: 'github-tools' } }] } } },
    });
    const result = planValid([vmcp, toolConfig('mcp', 'github-tools', { toolsFilter: ['nothing'] })]);
    expect(extensionOf(result.entries[0])).toMatchObject({ tools: ['create_pr', 'merge_pr', 'list_issues'], tool_definitions: DEFINITIONS });
    expect(result.warnings).toEqual([]);
  });
});

describe('tool_definitions through an MCPToolConfig', () => {
  const server = configuredServer({ ...TOOLS, 'tool-definitions': JSON.stringify(DEFINITIONS) });

  it('override: name and description replaced, every other field (annotations included) kept', () => {
    const config = toolConfig('mcp', 'github-tools', {
      toolsOverride: {
        create_pr: { name: 'open_pr', description: 'Open a PR on GitHub', annotations: { title: 'Open PR', readOnlyHint: true } },
        merge_pr: { annotations: { destructiveHint: false } },
        list_issues: { description: 'List the issues' },
      },
    });
    expect(published([server, config])).toEqual({
      tools: ['open_pr', 'merge_pr', 'list_issues'],
      tool_definitions: [
        // ToolHive's proxy does not apply annotation overrides to an MCPServer or MCPRemoteProxy.
        { name: 'open_pr', description: 'Open a PR on GitHub', inputSchema: { type: 'object' }, annotations: { title: 'Create PR', readOnlyHint: false } },
        { name: 'merge_pr', description: 'Merge a pull request', annotations: { destructiveHint: true } },
        { name: 'list_issues', inputSchema: { type: 'object' }, description: 'List the issues' },
      ],
    });
  });

  it('filter and override together, order kept', () => {
    const config = toolConfig('mcp', 'github-tools', { toolsOverride: { merge_pr: { name: 'merge', description: 'Merge' } }, toolsFilter: ['list_issues', 'merge'] });
    expect(published([server, config])).toEqual({
      tools: ['merge', 'list_issues'],
      tool_definitions: [
        { name: 'merge', description: 'Merge', annotations: { destructiveHint: true } },
        { name: 'list_issues', inputSchema: { type: 'object' } },
      ],
    });
  });

  it('a filter that keeps no definition leaves tool_definitions out', () => {
    expect(published([server, toolConfig('mcp', 'github-tools', { toolsFilter: ['nothing'] })])).toEqual({});
  });

  it('does not change the annotated definitions it was given', () => {
    const definitions = structuredClone(DEFINITIONS);
    const config = toolConfigOf(toolConfig('mcp', 'x', { toolsOverride: { create_pr: { name: 'open_pr', description: 'Open' } } }) as MCPToolConfig, 'MCPToolConfig mcp/x');
    expect(configuredDefinitions(definitions, config)![0]).toMatchObject({ name: 'open_pr', description: 'Open' });
    expect(configuredTools(['create_pr'], config)).toEqual(['open_pr']);
    expect(definitions).toEqual(DEFINITIONS);
  });
});

describe('a toolConfigRef that does not lead to an MCPToolConfig', () => {
  const server = configuredServer({ ...TOOLS, 'tool-definitions': JSON.stringify(DEFINITIONS) });
  const warning = 'MCPServer mcp/github: entry com.toolhive.k8s.mcp/github: spec.toolConfigRef names MCPToolConfig mcp/github-tools, which does not exist; tools and tool_definitions are left out';

  it.each<[string, KubeObject[]]>([
    ['none at all', []],
    ['one of that name in another namespace only (the reference is namespace-local)', [toolConfig('other', 'github-tools', {})]],
    ['one of another API group', [toolConfig('mcp', 'github-tools', {}, 'example.com/v1')]],
  ])('%s: published without tools and tool_definitions, with a warning', (_label, others) => {
    const result = planValid([server, ...others]);
    expect(result.entries.map((entry) => entry.name)).toEqual(['com.toolhive.k8s.mcp/github']);
    const extension = extensionOf(result.entries[0]);
    expect(extension.tools).toBeUndefined();
    expect(extension.tool_definitions).toBeUndefined();
    expect(extension.status).toBe('active');
    expect(warningsOf(result)).toEqual([warning]);
  });

  it('an empty name names nothing', () => {
    const result = planValid([configuredServer(TOOLS, 'MCPServer', { name: '' })]);
    expect(extensionOf(result.entries[0]).tools).toBeUndefined();
    expect(warningsOf(result)).toEqual([expect.stringContaining('spec.toolConfigRef names MCPToolConfig mcp/, which does not exist')]);
  });

  it('warned once per resource and entry, even with a direct remote and a route remote', () => {
    const both = mcpServer('mcp', 'github', {
      annotations: annotations({ 'registry-export': 'true', 'registry-url': DIRECT, 'registry-description': 'GitHub', ...TOOLS }),
      spec: { image: 'ghcr.io/example/github-mcp', transport: 'streamable-http', toolConfigRef: { name: 'github-tools' } },
    });
    const result = planValid(world(both, route()));
    expect(result.entries[0]!.remotes.map((remote) => remote.url)).toEqual([DIRECT, URL]);
    expect(extensionOf(result.entries[0], URL).tools).toBeUndefined();
    expect(warningsOf(result)).toEqual([warning]);
  });
});

describe('what else an MCPToolConfig does not change', () => {
  it('it is not a source of the entry (it exports nothing), and exporting it does nothing', () => {
    const config = toolConfig('mcp', 'github-tools', { toolsFilter: ['create_pr'] });
    config.metadata!.annotations = annotations({ 'registry-export': 'true', 'registry-url': 'https://tools.example.com/mcp', 'registry-description': 'Tools' });
    const result = planValid([configuredServer(TOOLS), config]);
    expect(result.entries.map((entry) => entry.name)).toEqual(['com.toolhive.k8s.mcp/github']);
    expect(result.entries[0]!._meta[PUBLISHER_PROVIDED_KEY][OWNERSHIP_KEY].sources).toEqual([{ kind: 'MCPServer', namespace: 'mcp', name: 'github' }]);
    expect(result.skipped).toEqual([]);
  });

  it('a server without a toolConfigRef ignores every MCPToolConfig of its namespace', () => {
    const plain = mcpServer('mcp', 'github', { annotations: annotations({ 'registry-export': 'true', 'registry-url': DIRECT, 'registry-description': 'GitHub', ...TOOLS }) });
    expect(published([plain, toolConfig('mcp', 'github', { toolsFilter: ['nothing'] })]).tools).toEqual(['create_pr', 'merge_pr', 'list_issues']);
  });

  it.each<[string, KubeObject[], string]>([
    ['a toolConfigRef that is not an object', [configuredServer(TOOLS, 'MCPServer', 'github-tools')], 'spec.toolConfigRef is not an object with a string name'],
    ['a toolsFilter that is not a list of strings', [configuredServer(TOOLS), toolConfig('mcp', 'github-tools', { toolsFilter: 'create_pr' })], 'MCPToolConfig mcp/github-tools: spec.toolsFilter is not a list of strings'],
    ['an override that is not an object', [configuredServer(TOOLS), toolConfig('mcp', 'github-tools', { toolsOverride: { create_pr: 'open_pr' } })], 'MCPToolConfig mcp/github-tools: spec.toolsOverride["create_pr"] is not an object'],
    ['an override name that is not a string', [configuredServer(TOOLS), toolConfig('mcp', 'github-tools', { toolsOverride: { create_pr: { name: 5 } } })], 'has a name or description that is not a string'],
  ])('a spec that breaks its CRD schema (%s) skips the entry, saying why', (_label, objects, detail) => {
    const result = planValid(objects);
    expect(result.entries).toEqual([]);
    expect(skipsOf(result)).toEqual([expect.stringContaining(`MCPServer mcp/github: entry com.toolhive.k8s.mcp/github: a spec it depends on does not follow its CRD schema, so it cannot be planned (`)]);
    expect(skipsOf(result)[0]).toContain(detail);
  });
});
