// The annotation contract as the planner applies it first (discovery.md section 1): each
// object's registry annotations judged and normalized by the contract's per-object rules
// (one implementation with the webhook and `validate`), read back as typed values.
//
// The planner deliberately does not run the contract's referential checks: it answers
// the same questions itself, per parent and per backend and from the Gateway's status
// (sections 2 to 4), and its grouping refuses a name claimed from two namespaces (check 4).

import { fullKey } from '../contract/keys.ts';
import { judgeAnnotations } from '../contract/judge.ts';
import { readRegistryAnnotations, type RegistryAnnotations } from '../contract/registry-annotations.ts';
import type { ContractOptions, Finding } from '../contract/types.ts';
import type { KubeObject } from '../kubernetes/objects.ts';

/** What the planner keeps of a judgement (not the copy of every annotation: memory). */
export interface JudgedObject {
  /** False when the object is not registry-annotated (or not a contract kind). */
  applies: boolean;
  errors: readonly Finding[];
  warnings: readonly Finding[];
  values: RegistryAnnotations;
  /** `registry-url` is present, valid or not (an unexported resource with one is reported). */
  hasUrl: boolean;
  /** The options the object was judged with: a cache shared across option sets re-judges. */
  optionsKey: string;
}

const REGISTRY_URL_KEY = fullKey('registry-url');
const NOT_ANNOTATED: Omit<JudgedObject, 'optionsKey'> = { applies: false, errors: [], warnings: [], values: {}, hasUrl: false };

/**
 * Judgements by object identity. Informer caches replace an object when it changes, so a
 * cache kept from one plan to the next (in a PlanCache) stays correct and makes a re-plan
 * after one change cheap. Objects must not be mutated in place.
 */
export type JudgementCache = WeakMap<KubeObject, JudgedObject>;

export function newJudgementCache(): JudgementCache {
  return new WeakMap();
}

export class Judgements {
  private readonly options: ContractOptions;
  private readonly optionsKey: string;
  private readonly cache: JudgementCache;

  constructor(options: ContractOptions, cache: JudgementCache = newJudgementCache()) {
    this.options = options;
    this.optionsKey = `${options.namePrefix}\u0000${options.defaultNamespace}`;
    this.cache = cache;
  }

  of(object: KubeObject): JudgedObject {
    let judged = this.cache.get(object);
    if (!judged || judged.optionsKey !== this.optionsKey) {
      const judgement = judgeAnnotations(object, this.options);
      judged = judgement.applies
        ? {
            applies: true,
            errors: judgement.errors,
            warnings: judgement.warnings,
            values: readRegistryAnnotations(judgement.annotations),
            hasUrl: judgement.annotations[REGISTRY_URL_KEY] !== undefined,
            optionsKey: this.optionsKey,
          }
        : { ...NOT_ANNOTATED, optionsKey: this.optionsKey };
      this.cache.set(object, judged);
    }
    return judged;
  }
}
