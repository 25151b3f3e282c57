// What the planner returns besides entries: the exported objects it skipped and the
// warnings it raised, each naming the object in one line (discovery.md section 8), and
// the collector that keeps them de-duplicated and in a stable order.

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

export interface PlanResult {
  /** server.json documents, sorted by name, each valid against the official schema. */
  entries: ServerEntry[];
  skipped: SkippedObject[];
  warnings: PlanWarning[];
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

/** Collects skips and warnings; the same line for the same object is kept once. */
export class PlanReport {
  readonly skipped: SkippedObject[] = [];
  readonly warnings: PlanWarning[] = [];
  private readonly seen = new Set<string>();

  skip(ref: ObjectRef, reason: string): void {
    if (this.once('skip', ref, reason)) this.skipped.push({ ...ref, reason });
  }

  warn(ref: ObjectRef, message: string): void {
    if (this.once('warn', ref, message)) this.warnings.push({ ...ref, message });
  }

  private once(what: string, ref: ObjectRef, text: string): boolean {
    const key = `${what}\u0000${ref.kind}\u0000${ref.namespace}\u0000${ref.name}\u0000${text}`;
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    return true;
  }
}
