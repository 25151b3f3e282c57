// Which of the diff's writes go out now (publishing.md §1-§4), as one pure function shared
// by the publisher, `run` and `diff`. The diff says what would make the registry match the
// plan; these rules say what is safe to write on what the cluster knows for certain:
//
//   1. hold: a name one of whose sources is uncertain (stale route status, a kind not known
//      for certain) gets no write at all, until the state clears or the hold grace passes;
//      a name that is not published yet is not published while uncertain;
//   2. readiness: a name whose MCP resources are all not ready is not published; when it is
//      published, it is held, and after the grace deprecated (registries with a status
//      API) or reported (those without); ready again, it is activated;
//   3. contention: no write for a name another writer with our identity keeps changing;
//   4. namespace scope: a name no longer planned is retired only when its exporting
//      objects lie in the watched namespaces;
//   5. policy: sync, upsert-only, create-only;
//   6. the mass-retire guard.
// Holds are timed from `since`, which the caller keeps between passes (the returned
// `since` replaces it): a state that clears forgets its time, one that comes back starts over.

import { writeSources, type DiffResult, type OwnedName, type StatusWrite, type Write } from '../diff/diff.ts';
import { uniqueSources, type OwnedSource } from '../planner/ownership.ts';
import { withinNamespaces } from './namespace-scope.ts';
import { isNameRetire, policyWithholds, type Policy } from './policy.ts';
import { massRetireRefusal } from './retire-guard.ts';
import type { HoldCategory, Uncertainty } from './uncertainty.ts';

export interface RulesInput {
  diff: DiffResult;
  /** Why the cluster cannot answer for a source now (uncertainty.ts), or undefined. */
  uncertainty: (source: OwnedSource) => Uncertainty | undefined;
  /** Planned names whose MCP resources are all not ready, with the reason (the plan's `pending`). */
  pending: ReadonlyMap<string, string>;
  now: number;
  holdGraceMs: number;
  /** First time each hold (holdKey) was seen, from the previous pass. */
  since: ReadonlyMap<string, number>;
  policy: Policy;
  maxRetireFraction: number;
  allowMassRetire: boolean;
  /** The namespaces this installation watches ([]: all). */
  namespaces: readonly string[];
  /** The registry can deprecate a version (upstream); false: ToolHive's server, which cannot. */
  statusChanges: boolean;
  /** Names another writer with our identity keeps changing (contention.ts): none of their writes go out. */
  contended?: (name: string) => boolean;
}

export interface Hold {
  name: string;
  category: HoldCategory;
  reason: string;
  /** The objects the hold is about (for Events). */
  sources: OwnedSource[];
  since: number;
  /** The grace has passed: the plan as it now stands is applied. */
  expired: boolean;
  /** First seen in this pass (log it, raise its Event, count it). */
  fresh: boolean;
}

export type WithheldRule = 'hold' | 'not ready' | 'namespace scope' | 'policy' | 'mass retire' | 'contention';

export interface Withheld {
  write: Write;
  rule: WithheldRule;
  reason: string;
}

export interface RulesResult {
  /** What may be written now, in the diff's order (with any deprecations after it). */
  writes: Write[];
  holds: Hold[];
  withheld: Withheld[];
  /** Planned names not published because none of their MCP resources is ready. */
  notPublished: { name: string; reason: string }[];
  /** Set when the guard refused this pass's retires. */
  massRetire?: { refusal: string; names: string[] };
  since: Map<string, number>;
}

export function holdKey(name: string, category: HoldCategory): string {
  return `${name}\u0000${category}`;
}

export function applyPublishingRules(input: RulesInput): RulesResult {
  const { diff, now, holdGraceMs } = input;
  const owned = new Map<string, OwnedName>(diff.owned.map((o) => [o.name, o]));
  const writesByName = new Map<string, Write[]>();
  for (const write of diff.writes) writesByName.set(write.name, [...(writesByName.get(write.name) ?? []), write]);
  const names = [...new Set([...owned.keys(), ...writesByName.keys()])].sort();

  const result: RulesResult = { writes: [], holds: [], withheld: [], notPublished: [], since: new Map() };
  const blocked = new Map<Write, Withheld>();
  const extra: StatusWrite[] = [];
  const withhold = (write: Write, rule: WithheldRule, reason: string) => {
    if (!blocked.has(write)) blocked.set(write, { write, rule, reason });
  };
  const hold = (name: string, category: HoldCategory, reason: string, sources: OwnedSource[]): Hold => {
    const key = holdKey(name, category);
    const since = input.since.get(key) ?? now;
    result.since.set(key, since);
    const entry: Hold = { name, category, reason, sources, since, expired: now - since >= holdGraceMs, fresh: !input.since.has(key) };
    result.holds.push(entry);
    return entry;
  };

  for (const name of names) {
    const writes = writesByName.get(name) ?? [];
    const mine = owned.get(name);
    const published = mine?.current !== undefined;
    // 1. Uncertain sources: those of the registry's copy and those of the plan.
    const sources = uniqueSources([...(mine?.sources ?? []), ...writes.flatMap(writeSources)]);
    let uncertain: { uncertainty: Uncertainty; source: OwnedSource } | undefined;
    for (const source of sources) {
      const uncertainty = input.uncertainty(source);
      if (uncertainty) {
        uncertain = { uncertainty, source };
        break;
      }
    }
    if (uncertain && (writes.length > 0 || published)) {
      const { category, reason } = uncertain.uncertainty;
      const held = hold(name, category, reason, [uncertain.source]);
      if (!held.expired) {
        for (const write of writes) withhold(write, 'hold', reason);
        // A readiness hold already running keeps its start: it is not looked at now, not over.
        const readiness = holdKey(name, 'not ready');
        const started = input.since.get(readiness);
        if (started !== undefined && input.pending.has(name)) result.since.set(readiness, started);
        continue;
      }
    }
    // 2. Readiness.
    const notReady = input.pending.get(name);
    if (notReady === undefined) continue;
    if (!published) {
      for (const write of writes) withhold(write, 'not ready', notReady);
      if (writes.some((w) => w.kind === 'publish' || w.kind === 'update')) result.notPublished.push({ name, reason: notReady });
      continue;
    }
    const held = hold(name, 'not ready', notReady, mine!.sources.filter((s) => s.kind !== 'HTTPRoute'));
    for (const write of writes) withhold(write, 'not ready', notReady);
    const current = mine!.current!;
    if (held.expired && input.statusChanges && current.status === 'active') {
      extra.push({ id: -1, kind: 'deprecate', name, version: current.server.version, sources: mine!.sources, after: [], reason: `not ready for ${Math.round((now - held.since) / 1000)} s: ${notReady}`, message: notReady });
    }
  }

  // 3-6 on what the holds let through.
  const candidates = [...diff.writes.filter((w) => !blocked.has(w)), ...extra];
  for (const write of candidates) {
    if (input.contended?.(write.name)) {
      withhold(write, 'contention', 'another writer changes this name too');
      continue;
    }
    if (isNameRetire(write) && !withinNamespaces(write.kind === 'retire' ? write.sources : [], input.namespaces)) {
      withhold(write, 'namespace scope', 'its objects lie outside the namespaces this installation watches');
      continue;
    }
    const policy = policyWithholds(input.policy, write);
    if (policy) withhold(write, 'policy', policy);
  }
  const retires = candidates.filter((w) => !blocked.has(w) && isNameRetire(w));
  const retiring = [...new Set(retires.map((w) => w.name))];
  const active = diff.owned.filter((o) => o.current !== undefined).length;
  const refusal = massRetireRefusal({ retiring: retiring.length, active, maxFraction: input.maxRetireFraction, allow: input.allowMassRetire });
  if (refusal) {
    for (const write of retires) withhold(write, 'mass retire', refusal);
    result.massRetire = { refusal, names: retiring };
  }

  let id = diff.writes.length;
  for (const write of candidates) {
    if (blocked.has(write)) continue;
    result.writes.push(write.id === -1 ? { ...write, id: id++ } : write);
  }
  result.withheld = [...blocked.values()];
  return result;
}
