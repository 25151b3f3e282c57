// Ready before published (publishing.md §4, discovery.md section 10): an MCP resource is
// ready by the `status.phase` ToolHive's operator reports on it; a resource without one
// counts as ready (no operator has reported), and `plan` warns. Readiness does not change
// an entry: a planned name none of whose MCP resources is ready is listed in `pending`,
// and the publisher writes nothing for it. Route-only exports have no MCP resource and are
// always ready. Pure: phases are read from the objects the plan's lookups hold, on every
// plan and never from a PlanCache, so a change of phase alone changes `pending`.

import type { ClusterLookups } from '../cluster/lookups.ts';
import { printableText, type KubeObject, type MCPResourceStatus } from '../kubernetes/objects.ts';
import type { OwnedSource } from './ownership.ts';
import { describeRef, type ObjectRef, type PendingName, type PlanReport } from './result.ts';
import { OWNERSHIP_KEY, PUBLISHER_PROVIDED_KEY, type ServerEntry } from './server-entry.ts';

/**
 * The phases in which each kind of MCP resource is ready (the CRDs' `status.phase` enums:
 * MCPServer Pending/Ready/Failed/Terminating/Stopped, MCPRemoteProxy Pending/Ready/Failed/
 * Terminating, VirtualMCPServer Pending/Ready/Degraded/Failed, MCPServerEntry
 * Valid/Pending/Failed). An MCPServerEntry's readiness counts like an MCP resource's: it
 * is the source of its direct remote, so its phase reaches `pending` through the entry's
 * ownership record like the others'.
 */
export const READY_PHASES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  MCPServer: Object.freeze(['Ready']),
  MCPRemoteProxy: Object.freeze(['Ready']),
  VirtualMCPServer: Object.freeze(['Ready', 'Degraded']),
  MCPServerEntry: Object.freeze(['Valid']),
});

/** Is this a kind whose readiness counts (an MCP resource, or an MCPServerEntry)? */
export function hasReadiness(kind: string | undefined): boolean {
  return kind !== undefined && Object.hasOwn(READY_PHASES, kind);
}

export interface Readiness {
  ready: boolean;
  /**
   * `status.phase` as reported, printable and at most 100 characters (a value that is not a
   * string, which breaks the CRD schema, as JSON); undefined when none has been reported.
   */
  phase: string | undefined;
}

const MAX_PHASE_LENGTH = 100;

/** The reported phase, or undefined when there is none (no status, no phase, or an empty one). */
export function phaseOf(object: KubeObject): string | undefined {
  const phase = rawPhase(object);
  if (phase === undefined || phase === null || phase === '') return undefined;
  const text = typeof phase === 'string' ? phase : (JSON.stringify(phase) ?? String(phase));
  return printableText(text.length > MAX_PHASE_LENGTH ? `${text.slice(0, MAX_PHASE_LENGTH)}…` : text);
}

/**
 * Readiness of an MCP resource of `kind` (the object's own kind when not given). No phase
 * counts as ready; a kind without readiness (not an MCP resource) is always ready.
 */
export function readinessOf(object: KubeObject, kind: string | undefined = object.kind): Readiness {
  // The phase as the object holds it: a truncated or escaped text is never a ready phase.
  const raw = rawPhase(object);
  if (typeof raw === 'string' && hasReadiness(kind) && READY_PHASES[kind!]!.includes(raw)) return { ready: true, phase: raw };
  const phase = phaseOf(object);
  return { ready: phase === undefined || !hasReadiness(kind), phase };
}

function rawPhase(object: KubeObject): unknown {
  const status: unknown = object.status;
  if (typeof status !== 'object' || status === null || Array.isArray(status)) return undefined;
  // Typed for what the CRD says; manifests may hold anything there.
  return (status as MCPResourceStatus).phase;
}

/** The objects named by an entry's ownership record, as the planner wrote it (so unlike ownership.sourcesOf, not validated). */
function sourcesOfEntry(entry: ServerEntry): readonly OwnedSource[] {
  return entry._meta?.[PUBLISHER_PROVIDED_KEY]?.[OWNERSHIP_KEY]?.sources ?? [];
}

export const NO_PHASE_WARNING = 'has no status.phase yet (no operator has reported); counted as ready';

/**
 * The planned names none of whose MCP resources is ready, sorted by name (entries come
 * sorted). Each MCP resource of a planned entry without a phase gets a warning in `report`.
 * A name without MCP resources (route-only) is never pending; nor is one whose MCP
 * resources the lookups no longer hold (there is nothing to judge).
 */
export function pendingNames(entries: readonly ServerEntry[], lookups: ClusterLookups, report: PlanReport): PendingName[] {
  const pending: PendingName[] = [];
  for (const entry of entries) {
    const notReady: { ref: ObjectRef; phase: string }[] = [];
    let ready = false;
    for (const source of sourcesOfEntry(entry)) {
      if (!hasReadiness(source.kind)) continue;
      const object = lookups.get(source.kind, source.namespace, source.name);
      if (!object) continue;
      const readiness = readinessOf(object, source.kind);
      const ref: ObjectRef = { kind: source.kind, namespace: source.namespace, name: source.name };
      if (readiness.phase === undefined) report.warn(ref, NO_PHASE_WARNING);
      if (readiness.ready) ready = true;
      else notReady.push({ ref, phase: readiness.phase! });
    }
    // Nothing judged (no MCP resource held) or one ready: not pending.
    if (ready || notReady.length === 0) continue;
    pending.push({
      name: entry.name,
      objects: notReady.map(({ ref }) => ref),
      reason: notReady.map(({ ref, phase }) => `${printableText(describeRef(ref))} is ${phase}`).join(', '),
    });
  }
  return pending;
}
