// What a reconcile pass tells the objects involved, as Kubernetes Events (pure): published,
// updated, retired, deprecated, activated, a registry refusal, a hold (publishing.md §1), a
// name held by another owner or fought over, and every planner skip reason and warning for
// an exported object. `kubectl describe httproute x` then answers "why isn't my server in the
// registry?" without reading the publisher's logs.

import type { ObjectRef } from '../planner/result.ts';
import type { PassReport } from './reconciler.ts';
import { writeSources, type Write } from '../diff/diff.ts';
import { sourcesOf } from '../planner/ownership.ts';
import { isStaleViewError } from './execute.ts';

export type EventReason =
  | 'EndpointPublished'
  | 'EndpointUpdated'
  | 'EndpointRetired'
  | 'EndpointDeprecated'
  | 'EndpointActivated'
  | 'EndpointHeld'
  | 'EndpointNotReady'
  | 'PublishFailed'
  | 'NameConflict'
  | 'OwnershipContention'
  | 'MassRetireRefused'
  | 'ExportSkipped'
  | 'ExportWarning';

export interface ObjectEvent {
  /** `apiVersion` only for objects outside the watched kinds (the event recorder knows those). */
  regarding: ObjectRef & { uid?: string; apiVersion?: string };
  type: 'Normal' | 'Warning';
  reason: EventReason;
  /** events.k8s.io `action`: what the publisher did or tried. */
  action: 'Publish' | 'Update' | 'Retire' | 'Deprecate' | 'Activate' | 'Hold' | 'Plan';
  note: string;
}

/** Where events about the installation itself go (the mass-retire guard): its Pod, else its Lease. */
export type InstallationObject = ObjectRef & { apiVersion: string };

const ACTION: Record<Write['kind'], ObjectEvent['action']> = { publish: 'Publish', update: 'Update', retire: 'Retire', activate: 'Activate', deprecate: 'Deprecate' };

/** events.k8s.io/v1 caps `note` at 1 kB. */
const MAX_NOTE = 1024;

function clip(note: string): string {
  return note.length <= MAX_NOTE ? note : `${note.slice(0, MAX_NOTE - 1)}…`;
}

function urlsOf(entry: { remotes?: { url?: string }[] }): string {
  const urls = (entry.remotes ?? []).map((remote) => remote.url).filter((url): url is string => typeof url === 'string');
  return urls.length > 0 ? ` at ${urls.join(', ')}` : '';
}

export function eventsForPass(pass: PassReport, installation?: InstallationObject): ObjectEvent[] {
  const events: ObjectEvent[] = [];
  const add = (sources: readonly (ObjectRef & { uid?: string; apiVersion?: string })[], event: Omit<ObjectEvent, 'regarding'>) => {
    for (const { kind, namespace, name, uid, apiVersion } of sources) {
      events.push({ regarding: { kind, namespace, name, ...(uid ? { uid } : {}), ...(apiVersion ? { apiVersion } : {}) }, ...event, note: clip(event.note) });
    }
  };
  for (const outcome of pass.outcomes) {
    const { write } = outcome;
    const sources = writeSources(write);
    const subject = `${write.name} ${write.version}`;
    if (outcome.result === 'written') {
      if (write.kind === 'retire') add(sources, { type: 'Normal', reason: 'EndpointRetired', action: 'Retire', note: `retired ${subject} (${write.reason})` });
      else if (write.kind === 'publish') add(sources, { type: 'Normal', reason: 'EndpointPublished', action: 'Publish', note: `published ${subject}${urlsOf(write.entry)}` });
      else if (write.kind === 'update') add(sources, { type: 'Normal', reason: 'EndpointUpdated', action: 'Update', note: `published ${subject}${urlsOf(write.entry)} (${write.reason})` });
      else if (write.kind === 'deprecate') add(sources, { type: 'Warning', reason: 'EndpointDeprecated', action: 'Deprecate', note: `deprecated ${subject} (${write.reason})` });
      else add(sources, { type: 'Normal', reason: 'EndpointActivated', action: 'Activate', note: `active again: ${subject} (${write.reason})` });
    } else if (outcome.result === 'failed' && !isStaleViewError(outcome.error)) {
      // A stale view (another writer got there first) is read again, not a refusal: the
      // next pass decides, and a name held by someone else becomes a NameConflict.
      add(sources, { type: 'Warning', reason: 'PublishFailed', action: ACTION[write.kind], note: `the registry refused ${write.kind} ${subject}: ${outcome.error.message}` });
    }
  }
  for (const hold of pass.newHolds) {
    const note = hold.expired
      ? `held ${hold.name} past the hold grace (${hold.reason}); ${hold.category === 'not ready' ? 'the entry is deprecated or left as it is' : 'applying the plan as it now stands'}`
      : `holding ${hold.name} as it is in the registry: ${hold.reason}`;
    const type = hold.category === 'stale status' && !hold.expired ? 'Normal' : 'Warning';
    add(hold.sources, { type, reason: hold.category === 'not ready' ? 'EndpointNotReady' : 'EndpointHeld', action: 'Hold', note });
  }
  for (const conflict of pass.diff?.conflicts ?? []) {
    const entry = pass.plan.entries.find((e) => e.name === conflict.name);
    if (entry) add(sourcesOf(entry), { type: 'Warning', reason: 'NameConflict', action: 'Publish', note: `not published: ${conflict.reason}` });
  }
  for (const name of pass.contended) {
    const owned = pass.diff?.owned.find((o) => o.name === name);
    add(owned?.sources ?? [], { type: 'Warning', reason: 'OwnershipContention', action: 'Publish', note: `${name} changed under this publisher twice in a row: another writer with the same owner and installation? Not writing it before the next resync` });
  }
  if (pass.rules?.massRetire && installation) {
    add([installation], { type: 'Warning', reason: 'MassRetireRefused', action: 'Retire', note: pass.rules.massRetire.refusal });
  }
  for (const skipped of pass.plan.skipped) {
    add([skipped], { type: 'Warning', reason: 'ExportSkipped', action: 'Plan', note: `not exported: ${skipped.reason}` });
  }
  for (const warning of pass.plan.warnings) {
    add([warning], { type: 'Warning', reason: 'ExportWarning', action: 'Plan', note: warning.message });
  }
  return events;
}
