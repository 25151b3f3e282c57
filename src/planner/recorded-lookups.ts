// ClusterLookups that remember every answer they gave, so a result computed from them can
// be reused as long as the same questions still get the same answers (the same objects:
// informer caches replace an object when it changes, they never edit it in place).

import type { ClusterLookups } from '../cluster/lookups.ts';
import type { KubeObject } from '../kubernetes/objects.ts';

/**
 * Flat, four slots per answer, for memory (thousands of walks keep theirs):
 * get: kind, namespace, name, object | undefined; list: kind, namespace | undefined, LIST, objects.
 */
type Slot = string | undefined | KubeObject | readonly KubeObject[] | typeof LIST;
const LIST = Symbol('list');

export class RecordedLookups implements ClusterLookups {
  readonly answers: Slot[] = [];
  private readonly inner: ClusterLookups;

  constructor(inner: ClusterLookups) {
    this.inner = inner;
  }

  get(kind: string, namespace: string, name: string): KubeObject | undefined {
    const object = this.inner.get(kind, namespace, name);
    this.answers.push(kind, namespace, name, object);
    return object;
  }

  list(kind: string, namespace?: string): readonly KubeObject[] {
    const list = this.inner.list(kind, namespace);
    this.answers.push(kind, namespace, LIST, list);
    return list;
  }
}

/** Do the lookups still answer every recorded question with the same objects? */
export function answersHold(answers: RecordedAnswers, lookups: ClusterLookups): boolean {
  for (let i = 0; i < answers.length; i += 4) {
    const kind = answers[i] as string;
    const namespace = answers[i + 1] as string | undefined;
    if (answers[i + 2] === LIST) {
      const recorded = answers[i + 3] as readonly KubeObject[];
      const list = lookups.list(kind, namespace);
      if (list.length !== recorded.length || list.some((object, index) => object !== recorded[index])) return false;
    } else if (lookups.get(kind, namespace as string, answers[i + 2] as string) !== answers[i + 3]) {
      return false;
    }
  }
  return true;
}

export type RecordedAnswers = readonly Slot[];
