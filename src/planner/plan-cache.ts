// What one plan can hand to the next (the publisher re-plans on every change of its
// informer caches): the contract's judgements, each MCP resource's direct remote, each
// route's walk with the answers of the cluster look-ups it made, and each entry built from
// its contributions with the answers of its look-ups (the MCPToolConfigs its MCP resources
// name). A memory is reused only while the objects it came from are the very same objects
// (identity), so a changed object, or a changed object it looked at, is walked again.
// Objects must not be edited in place; informer caches replace them.

import type { KubeObject } from '../kubernetes/objects.ts';
import type { Contribution, Contributor } from './contributions.ts';
import { newJudgementCache, type JudgementCache } from './judgements.ts';
import type { RecordedAnswers } from './recorded-lookups.ts';
import type { PlanReport } from './result.ts';
import type { ServerEntry } from './server-entry.ts';

export interface RouteWalk {
  answers: RecordedAnswers;
  report: PlanReport;
  contributions: Contribution[];
}

export interface DirectWalk {
  report: PlanReport;
  contribution?: Contribution;
  /** Exported without registry-url: a route must publish it. */
  withoutUrl?: Contributor;
}

export interface EntryMemory {
  group: readonly Contribution[];
  /** The look-ups building the entry made (MCPToolConfigs), with their answers. */
  answers: RecordedAnswers;
  report: PlanReport;
  entry: ServerEntry | undefined;
}

export class PlanCache {
  judgements: JudgementCache = newJudgementCache();
  routeWalks = new WeakMap<KubeObject, RouteWalk>();
  directWalks = new WeakMap<KubeObject, DirectWalk>();
  /** By registry name; replaced by each plan, so names that are gone are forgotten. */
  entries = new Map<string, EntryMemory>();
  private optionsKey: string | undefined;

  /** Start over when the options change: every memory depends on them. */
  useOptions(optionsKey: string): void {
    if (optionsKey === this.optionsKey) return;
    this.optionsKey = optionsKey;
    this.judgements = newJudgementCache();
    this.routeWalks = new WeakMap();
    this.directWalks = new WeakMap();
    this.entries = new Map();
  }
}
