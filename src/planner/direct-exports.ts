// MCP resources exported with their own URL (discovery.md section 1): each contributes a
// direct remote with its `registry-url`, typed by its transport. Exported resources
// without a URL are returned so the walk can check that a route publishes them. An
// exported MCPServerEntry contributes a direct remote with its `registry-url`, else its
// `spec.remoteUrl`, typed by `spec.transport`; no route leads to it.

import { expandRegistryName } from '../contract/registry-name.ts';
import { ANNOTATED_MCP_KINDS, isAnnotatedMCPObject, MCP_SERVER_ENTRY_KIND, type AnnotatedMCPKind, type MCPKind } from '../kubernetes/kinds.ts';
import type { KubeObject, MCPResource, MCPServerEntry } from '../kubernetes/objects.ts';
import { serverEntryRemote } from '../contract/server-entry-remote.ts';
import { compareRefs, type Contribution, type Contributor } from './contributions.ts';
import { mcpTransport } from './mcp-endpoints.ts';
import { isBeingDeleted, malformedReason, passesContract, type PlanContext } from './plan-context.ts';
import type { DirectWalk } from './plan-cache.ts';
import { objectRef, PlanReport, type ObjectRef } from './result.ts';

export interface DirectExports {
  contributions: Contribution[];
  /** Exported MCP resources without `registry-url`: only a route can give them a remote. */
  withoutUrl: Contributor[];
}

/** The MCP resources and MCPServerEntries of the cluster, namespace/name order, deleted ones left out. */
export function mcpObjects(context: PlanContext): { kind: AnnotatedMCPKind; object: KubeObject; ref: ObjectRef }[] {
  const { lookups, options } = context;
  const resources: { kind: AnnotatedMCPKind; object: KubeObject }[] = [];
  for (const kind of ANNOTATED_MCP_KINDS) {
    for (const object of lookups.list(kind)) {
      if (isAnnotatedMCPObject(object) && !isBeingDeleted(object)) resources.push({ kind, object });
    }
  }
  return resources
    .map((resource) => ({ ...resource, ref: objectRef(resource.object, options.defaultNamespace) }))
    .sort((a, b) => compareRefs(a.ref, b.ref));
}

/** One MCP resource (or MCPServerEntry): a direct contribution, or the need for a route, or nothing. */
function walkResource(context: PlanContext, kind: AnnotatedMCPKind, object: KubeObject, ref: ObjectRef): DirectWalk {
  const { options, judgements } = context;
  const report = new PlanReport();
  const { applies, hasUrl, values } = judgements.of(object);
  if (!applies) return { report };
  if (values.export !== true) {
    if (hasUrl) report.skip(ref, 'has registry-url but not registry-export: "true", so it is not exported');
    return { report };
  }
  if (!passesContract({ ...context, report }, object, ref)) return { report };
  const contributor: Contributor = { object, ref, values, exported: true };
  const remote = kind === MCP_SERVER_ENTRY_KIND ? serverEntryRemoteOf(report, contributor) : resourceRemote(kind, contributor);
  if (remote === 'needs a route') return { report, withoutUrl: contributor };
  if ('problem' in remote) {
    report.skip(ref, remote.problem);
    return { report };
  }
  const contribution: Contribution = {
    kind: 'direct',
    registryName: expandRegistryName(values.name ?? ref.name, ref.namespace, options.namePrefix),
    owningNamespace: ref.namespace,
    resource: contributor,
    type: remote.type,
    urls: [remote.url],
  };
  return { report, contribution };
}

type DirectRemote = { url: string; type: Contribution['type'] } | { problem: string } | 'needs a route';

/** An MCP resource's registry-url with its transport's type; without registry-url it needs a route. */
function resourceRemote(kind: MCPKind, { object, values }: Contributor): DirectRemote {
  if (values.url === undefined) return 'needs a route';
  const transport = mcpTransport(kind, object as MCPResource);
  return typeof transport === 'string' ? { url: values.url, type: transport } : transport;
}

/** An exported MCPServerEntry: its registry-url, else spec.remoteUrl, typed by spec.transport. */
function serverEntryRemoteOf(report: PlanReport, { object, ref, values }: Contributor): DirectRemote {
  const remote = serverEntryRemote(object as MCPServerEntry, values.url);
  if (!('problem' in remote)) for (const warning of remote.warnings) report.warn(ref, warning);
  return remote;
}

/** A resource whose spec breaks its CRD schema (manifests may hold one) is skipped, not fatal. */
function walkGuarded(context: PlanContext, kind: AnnotatedMCPKind, object: KubeObject, ref: ObjectRef): DirectWalk {
  try {
    return walkResource(context, kind, object, ref);
  } catch (error) {
    const report = new PlanReport();
    report.skip(ref, malformedReason(error));
    return { report };
  }
}

export function directExports(context: PlanContext): DirectExports {
  const result: DirectExports = { contributions: [], withoutUrl: [] };
  for (const { kind, object, ref } of mcpObjects(context)) {
    // A direct remote depends on the resource alone (and the options): remembered by identity.
    let walk = context.cache?.directWalks.get(object);
    if (!walk) {
      walk = walkGuarded(context, kind, object, ref);
      context.cache?.directWalks.set(object, walk);
    }
    context.report.replay(walk.report);
    if (walk.contribution) result.contributions.push(walk.contribution);
    if (walk.withoutUrl) result.withoutUrl.push(walk.withoutUrl);
  }
  return result;
}
