// What a reconcile pass tells the objects involved, as Kubernetes Events (pure): published,
// updated, retired, a registry refusal, and every planner skip reason and warning for an
// exported object. `kubectl describe httproute x` then answers "why isn't my server in the
// registry?" without reading the publisher's logs.

import type { ObjectRef } from '../planner/result.ts';
import type { PassReport } from './reconciler.ts';
import { sourcesOf } from '../diff/diff.ts';

export type EventReason = 'EndpointPublished' | 'EndpointUpdated' | 'EndpointRetired' | 'PublishFailed' | 'ExportSkipped' | 'ExportWarning';

export interface ObjectEvent {
  regarding: ObjectRef & { uid?: string };
  type: 'Normal' | 'Warning';
  reason: EventReason;
  /** events.k8s.io `action`: what the publisher did or tried. */
  action: 'Publish' | 'Update' | 'Retire' | 'Plan';
  note: string;
}

/** events.k8s.io/v1 caps `note` at 1 kB. */
const MAX_NOTE = 1024;

function clip(note: string): string {
  return note.length <= MAX_NOTE ? note : `${note.slice(0, MAX_NOTE - 1)}…`;
}

function urlsOf(entry: { remotes?: { url?: string }[] }): string {
  const urls = (entry.remotes ?? []).map((remote) => remote.url).filter((url): url is string => typeof url === 'string');
  return urls.length > 0 ? ` at ${urls.join(', ')}` : '';
}

export function eventsForPass(pass: PassReport): ObjectEvent[] {
  const events: ObjectEvent[] = [];
  const add = (sources: readonly (ObjectRef & { uid?: string })[], event: Omit<ObjectEvent, 'regarding'>) => {
    for (const { kind, namespace, name, uid } of sources) {
      events.push({ regarding: { kind, namespace, name, ...(uid ? { uid } : {}) }, ...event, note: clip(event.note) });
    }
  };
  for (const outcome of pass.outcomes) {
    const { write } = outcome;
    const sources = write.kind === 'retire' ? write.sources : sourcesOf(write.entry);
    const subject = `${write.name} ${write.version}`;
    if (outcome.result === 'written') {
      if (write.kind === 'retire') add(sources, { type: 'Normal', reason: 'EndpointRetired', action: 'Retire', note: `retired ${subject} (${write.reason})` });
      else if (write.kind === 'publish') add(sources, { type: 'Normal', reason: 'EndpointPublished', action: 'Publish', note: `published ${subject}${urlsOf(write.entry)}` });
      else add(sources, { type: 'Normal', reason: 'EndpointUpdated', action: 'Update', note: `published ${subject}${urlsOf(write.entry)} (${write.reason})` });
    } else if (outcome.result === 'failed') {
      const action = write.kind === 'retire' ? 'Retire' : write.kind === 'publish' ? 'Publish' : 'Update';
      add(sources, { type: 'Warning', reason: 'PublishFailed', action, note: `the registry refused ${write.kind} ${subject}: ${outcome.error.message}` });
    }
  }
  for (const skipped of pass.plan.skipped) {
    add([skipped], { type: 'Warning', reason: 'ExportSkipped', action: 'Plan', note: `not exported: ${skipped.reason}` });
  }
  for (const warning of pass.plan.warnings) {
    add([warning], { type: 'Warning', reason: 'ExportWarning', action: 'Plan', note: warning.message });
  }
  return events;
}
