// What the planner returns besides entries: the exported objects it skipped and the
// warnings it raised, each naming the object in one line (discovery.md section 8), the
// names not ready to publish (section 10), and the collector that keeps skips and warnings
// de-duplicated and in a stable order.

import { describeObject, namespaceOf, type KubeObject } from '../kubernetes/objects.ts';
import type { ServerEntry } from './server-entry.ts';

export interface ObjectRef {
  kind: string;
  namespace: string;
  name: string;
}

export interface SkippedObject extends ObjectRef {
  reason: string;
}

export interface PlanWarning extends ObjectRef {
  message: string;
}

/**
 * A planned name none of whose MCP resources is ready (publishing.md §4, discovery.md
 * section 10): its entry is in `entries` all the same, but the publisher writes nothing for it.
 */
export interface PendingName {
  /** The entry's registry name. */
  name: string;
  /** Its MCP resources, none of them ready (namespace/name order). */
  objects: ObjectRef[];
  /** One line naming each resource's phase, e.g. "MCPServer mcp/github is Failed". */
  reason: string;
}

export interface PlanResult {
  /** server.json documents, sorted by name, each valid against the official schema. */
  entries: ServerEntry[];
  skipped: SkippedObject[];
  warnings: PlanWarning[];
  /** Names of `entries` that are not ready to publish, sorted by name. */
  pending: PendingName[];
}

export function objectRef(object: KubeObject, defaultNamespace: string): ObjectRef {
  return { kind: object.kind ?? 'Object', namespace: namespaceOf(object, defaultNamespace), name: object.metadata?.name ?? '' };
}

export function describeRef(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace}/${ref.name}`;
}

/** Contract messages start with the object ("HTTPRoute ns/name: ..."); the ref already says it. */
export function withoutObjectPrefix(message: string, object: KubeObject, defaultNamespace: string): string {
  const prefix = `${describeObject(object, defaultNamespace)}: `;
  return message.startsWith(prefix) ? message.slice(prefix.length) : message;
}

const NONE: readonly never[] = Object.freeze([]);

/**
 * Collects skips and warnings; the same line for the same object is kept once. Thousands
 * of these are remembered between plans (one per route walk), so an empty one holds nothing.
 */
export class PlanReport {
  private skips: SkippedObject[] | undefined;
  private warns: PlanWarning[] | undefined;
  private seen: Set<string> | undefined;

  get skipped(): readonly SkippedObject[] {
    return this.skips ?? NONE;
  }

  get warnings(): readonly PlanWarning[] {
    return this.warns ?? NONE;
  }

  skip(ref: ObjectRef, reason: string): void {
    if (this.once('skip', ref, reason)) (this.skips ??= []).push({ ...ref, reason });
  }

  warn(ref: ObjectRef, message: string): void {
    if (this.once('warn', ref, message)) (this.warns ??= []).push({ ...ref, message });
  }

  /** Add the lines of another report (e.g. one remembered from an earlier plan). */
  replay(other: PlanReport): void {
    for (const { reason, ...ref } of other.skipped) this.skip(ref, reason);
    for (const { message, ...ref } of other.warnings) this.warn(ref, message);
  }

  private once(what: string, ref: ObjectRef, text: string): boolean {
    const key = `${what}\u0000${ref.kind}\u0000${ref.namespace}\u0000${ref.name}\u0000${text}`;
    const seen = (this.seen ??= new Set());
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  }
}
