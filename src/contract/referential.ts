// The contract's checks that look at other objects (annotations.md, "Checks that look at
// other objects"), answered from ClusterLookups: informer caches in the webhook, the
// input manifests in `validate`. Only for exported objects.

import { isDeepStrictEqual } from 'node:util';
import { judgeParentListeners } from '../gateway-api/listeners.ts';
import { describeParentRef, isGatewayParent, isListenerSetParent, resolveParentRef } from '../gateway-api/parent-refs.ts';
import { GATEWAY_API_GROUP, isHTTPRoute, isMCPServerEntry } from '../kubernetes/kinds.ts';
import { namespaceOf, type Gateway, type HTTPRoute, type KubeObject, type MCPServerEntry, type ReferenceGrant } from '../kubernetes/objects.ts';
import { mcpServerBypassedBy, resolveRouteBackends, serviceRefsOf, type ServiceRef } from '../toolhive/backends.ts';
import { serverEntryRemote } from './server-entry-remote.ts';
import { fullKey, isContractKey } from './keys.ts';
import { objectFinding } from './messages.ts';
import { buildExportIndex, registryNamesClaimedBy } from './name-claims.ts';
import { readRegistryAnnotations, readRegistryText } from './registry-annotations.ts';
import type { ContractContext, ExportIndex, Finding } from './types.ts';

interface Findings {
  errors: Finding[];
  warnings: Finding[];
}

export function referentialFindings(object: KubeObject, annotations: Record<string, string>, context: ContractContext): Findings {
  const findings: Findings = { errors: [], warnings: [] };
  let exportIndex = context.exports;
  const exports = (): ExportIndex => (exportIndex ??= buildExportIndex(context.lookups, context.options));
  // Checks 1, 2 and 4 deny; `--referential-checks=warn`, or an update that left their
  // inputs alone (context.demoteReferentialDenials), turns those denials into warnings.
  let demoted: boolean | undefined;
  const deny = (finding: Finding) => {
    demoted ??= context.options.referentialChecks === 'warn' || (context.demoteReferentialDenials?.() ?? false);
    (demoted ? findings.warnings : findings.errors).push(finding);
  };
  const warn = (finding: Finding) => findings.warnings.push(finding);
  if (isHTTPRoute(object)) {
    checkParentAttachment(object, context, deny, warn);
    checkCrossNamespaceBackends(object, context, deny);
    checkProxyBypass(object, context, warn);
  }
  if (isMCPServerEntry(object)) checkServerEntryRemote(object, annotations, context, warn);
  checkNameOwnership(object, annotations, context, exports, deny);
  checkDescriptionAvailable(object, annotations, context, exports, warn);
  return findings;
}

type Report = (finding: Finding) => void;

function sameContractAnnotations(a: unknown, b: unknown): boolean {
  const left = typeof a === 'object' && a !== null ? (a as Record<string, unknown>) : {};
  const right = typeof b === 'object' && b !== null ? (b as Record<string, unknown>) : {};
  let count = 0;
  for (const key of Object.keys(left)) {
    if (!isContractKey(key)) continue;
    count += 1;
    if (!Object.hasOwn(right, key) || left[key] !== right[key]) return false;
  }
  for (const key of Object.keys(right)) if (isContractKey(key)) count -= 1;
  return count === 0;
}

/**
 * Did an update leave alone everything this object's checks against other objects read: its
 * name and namespace, its registry annotations, and its spec (compared whole, a superset of
 * the fields the checks read)? Then an object that was admitted stays updatable (an operator
 * removing its finalizer, a label change) even after another object made a check fail; the
 * webhook turns those denials into warnings. Labels, finalizers and status may differ.
 */
export function referentialInputsUnchanged(oldObject: KubeObject, object: KubeObject): boolean {
  return (
    object.metadata?.name === oldObject.metadata?.name &&
    object.metadata?.namespace === oldObject.metadata?.namespace &&
    sameContractAnnotations(oldObject.metadata?.annotations, object.metadata?.annotations) &&
    isDeepStrictEqual(oldObject.spec, object.spec)
  );
}

/** Check 1: a listener of each known parent Gateway must admit the route. */
function checkParentAttachment(route: HTTPRoute, context: ContractContext, deny: Report, warn: Report): void {
  const { lookups, options } = context;
  const routeNamespace = namespaceOf(route, options.defaultNamespace);
  for (const ref of route.spec?.parentRefs ?? []) {
    const parent = resolveParentRef(ref, routeNamespace);
    if (isListenerSetParent(parent)) {
      warn(objectFinding(route, options.defaultNamespace, null, `parentRef ${describeParentRef(parent)}: ListenerSet parents are not supported in v1 and are not checked`));
      continue;
    }
    if (!isGatewayParent(parent)) continue; // e.g. a Service for mesh routing
    const gateway = lookups.get('Gateway', parent.namespace, parent.name) as Gateway | undefined;
    if (!gateway) {
      warn(objectFinding(route, options.defaultNamespace, null, `parentRef ${describeParentRef(parent)}: Gateway is not known (yet); attachment not checked`));
      continue;
    }
    const namespace = lookups.get('Namespace', '', routeNamespace);
    const verdicts = judgeParentListeners(gateway, parent, route, routeNamespace, namespace);
    if (verdicts.length === 0) {
      const listeners = (gateway.spec?.listeners ?? []).map((l) => `${l.name}:${l.port}`).join(', ') || 'none';
      deny(objectFinding(route, options.defaultNamespace, null, `parentRef ${describeParentRef(parent)}: the Gateway has no such listener (listeners: ${listeners})`));
      continue;
    }
    if (verdicts.some((verdict) => verdict.admits)) continue;
    const reasons = verdicts.map((verdict) => (verdict.admits ? '' : verdict.reason)).join('; ');
    const finding = objectFinding(route, options.defaultNamespace, null, `parentRef ${describeParentRef(parent)}: no listener admits the route: ${reasons}`);
    if (verdicts.some((verdict) => !verdict.admits && verdict.namespaceUnknown)) warn(finding);
    else deny(finding);
  }
}

function grantAllows(grant: ReferenceGrant, routeNamespace: string, serviceName: string): boolean {
  const from = (grant.spec?.from ?? []).some(
    (f) => f.group === GATEWAY_API_GROUP && f.kind === 'HTTPRoute' && f.namespace === routeNamespace,
  );
  const to = (grant.spec?.to ?? []).some(
    (t) => (t.group ?? '') === '' && t.kind === 'Service' && (!t.name || t.name === serviceName),
  );
  return from && to;
}

function allServiceRefs(route: HTTPRoute, routeNamespace: string): ServiceRef[] {
  return (route.spec?.rules ?? []).flatMap((rule) => serviceRefsOf(rule, routeNamespace));
}

/** Check 2: a backendRef into another namespace needs a ReferenceGrant there. */
function checkCrossNamespaceBackends(route: HTTPRoute, context: ContractContext, deny: Report): void {
  const { lookups, options } = context;
  const routeNamespace = namespaceOf(route, options.defaultNamespace);
  const seen = new Set<string>();
  for (const ref of allServiceRefs(route, routeNamespace)) {
    const key = `${ref.namespace}/${ref.name}`;
    if (ref.namespace === routeNamespace || seen.has(key)) continue;
    seen.add(key);
    const grants = lookups.list('ReferenceGrant', ref.namespace) as ReferenceGrant[];
    if (!grants.some((grant) => grantAllows(grant, routeNamespace, ref.name))) {
      deny(objectFinding(route, options.defaultNamespace, null, `backendRef Service ${key}: no ReferenceGrant in namespace ${ref.namespace} allows HTTPRoutes from namespace ${routeNamespace} to reach it`));
    }
  }
}

/** Check 3: a backend Service that reaches an MCPServer's pods without ToolHive's proxy. */
function checkProxyBypass(route: HTTPRoute, context: ContractContext, warn: Report): void {
  const { lookups, options } = context;
  const routeNamespace = namespaceOf(route, options.defaultNamespace);
  const seen = new Set<string>();
  for (const ref of allServiceRefs(route, routeNamespace)) {
    const key = `${ref.namespace}/${ref.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const server = mcpServerBypassedBy(ref, lookups);
    if (server) {
      warn(objectFinding(route, options.defaultNamespace, null, `backendRef Service ${key} reaches MCPServer ${ref.namespace}/${server.metadata?.name} directly, bypassing ToolHive's proxy and its authentication; route to mcp-${server.metadata?.name}-proxy instead`));
    }
  }
}

/** Check 4: a registry name belongs to one namespace; another namespace may not claim it. */
function checkNameOwnership(
  object: KubeObject,
  annotations: Record<string, string>,
  context: ContractContext,
  exports: () => ExportIndex,
  deny: Report,
): void {
  const { lookups, options } = context;
  const claims = registryNamesClaimedBy(object, annotations, lookups, options);
  if (claims.length === 0) return;
  const { claimsOf } = exports();
  const nameKey = annotations[fullKey('registry-name')] !== undefined ? fullKey('registry-name') : null;
  for (const claim of claims) {
    const rival = claimsOf(claim.registryName).find(
      (other) =>
        other.owningNamespace !== claim.owningNamespace &&
        !(other.kind === claim.kind && other.namespace === claim.namespace && other.name === claim.name),
    );
    if (rival) {
      deny(objectFinding(object, options.defaultNamespace, nameKey, `registry name ${claim.registryName} belongs to namespace ${rival.owningNamespace} (claimed by ${rival.kind} ${rival.namespace}/${rival.name}); namespace ${claim.owningNamespace} may not publish under it`));
    }
  }
}

/**
 * An MCPServerEntry publishes spec.remoteUrl unless registry-url overrides it: warn about
 * what the planner would skip (no usable URL) or flag (http, loopback), as the registry-url
 * rule does for the annotation. Warnings only: the spec is ToolHive's, not this contract's.
 */
function checkServerEntryRemote(entry: KubeObject, annotations: Record<string, string>, context: ContractContext, warn: Report): void {
  if (annotations[fullKey('registry-url')] !== undefined) return; // the annotation's own rule judged it
  const remote = serverEntryRemote(entry as MCPServerEntry, undefined);
  const { defaultNamespace } = context.options;
  if ('problem' in remote) warn(objectFinding(entry, defaultNamespace, null, `${remote.problem}; the publisher skips it`));
  else for (const warning of remote.warnings) warn(objectFinding(entry, defaultNamespace, null, warning));
}

function hasDescription(object: KubeObject | undefined): boolean {
  return object !== undefined && readRegistryAnnotations(object.metadata?.annotations).description !== undefined;
}

/** Check 5: the entry needs a description from the object, its MCP resource or its route. */
function checkDescriptionAvailable(
  object: KubeObject,
  annotations: Record<string, string>,
  context: ContractContext,
  exports: () => ExportIndex,
  warn: Report,
): void {
  if (readRegistryText(annotations, 'description') !== undefined) return;
  const { lookups, options } = context;
  const namespace = namespaceOf(object, options.defaultNamespace);
  if (isHTTPRoute(object)) {
    const { backends } = resolveRouteBackends(object, namespace, lookups);
    if (backends.length > 0 && backends.every((backend) => hasDescription(backend.resource))) return;
  } else if (isMCPServerEntry(object)) {
    // No route leads to an MCPServerEntry: its own annotation is the only description.
    warn(objectFinding(object, options.defaultNamespace, fullKey('registry-description'), 'has no registry-description (an MCPServerEntry gets none from a route); the publisher skips entries without one'));
    return;
  } else if (exports().describedByRoute(object.kind ?? '', namespace, object.metadata?.name ?? '')) {
    return;
  }
  warn(objectFinding(object, options.defaultNamespace, fullKey('registry-description'), 'has no registry-description (nor does its MCP resource or route); the publisher skips entries without a description'));
}
