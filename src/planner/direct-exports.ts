// MCP resources exported with their own URL (discovery.md section 1): each contributes a
// direct remote with its `registry-url`, typed by its transport. Exported resources
// without a URL are returned so the walk can check that a route publishes them. An
// exported MCPServerEntry contributes a direct remote with its `registry-url`, else its
// `spec.remoteUrl`, typed by `spec.transport`; no route leads to it.

import { expandRegistryName } from '../contract/registry-name.ts';
import { ANNOTATED_MCP_KINDS, isAnnotatedMCPObject, MCP_SERVER_ENTRY_KIND, type AnnotatedMCPKind } from '../kubernetes/kinds.ts';
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
  if (kind === MCP_SERVER_ENTRY_KIND) return walkServerEntry(context, report, contributor);
  if (values.url === undefined) return { report, withoutUrl: contributor };
  const transport = mcpTransport(kind, object as MCPResource);
  if (typeof transport !== 'string') {
    report.skip(ref, transport.problem);
    return { report };
  }
  const contribution: Contribution = {
    kind: 'direct',
    registryName: expandRegistryName(values.name ?? ref.name, ref.namespace, options.namePrefix),
    owningNamespace: ref.namespace,
    resource: contributor,
    type: transport,
    urls: [values.url],
  };
  return { report, contribution };
}

/** An exported MCPServerEntry: its registry-url, else spec.remoteUrl, typed by spec.transport. */
function walkServerEntry(context: PlanContext, report: PlanReport, contributor: Contributor): DirectWalk {
  const { object, ref, values } = contributor;
  const remote = serverEntryRemote(object as MCPServerEntry, values.url);
  if ('problem' in remote) {
    report.skip(ref, remote.problem);
    return { report };
  }
  for (const warning of remote.warnings) report.warn(ref, warning);
  const contribution: Contribution = {
    kind: 'direct',
    registryName: expandRegistryName(values.name ?? ref.name, ref.namespace, context.options.namePrefix),
    owningNamespace: ref.namespace,
    resource: contributor,
    type: remote.type,
    urls: [remote.url],
  };
  return { report, contribution };
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
