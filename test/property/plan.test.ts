// The planner over any set of Gateway API and ToolHive objects built from their official
// CRD schemas (shared/reference/gateway-api-crds, toolhive-crds), with Namespaces and
// Services beside them and registry annotations on top: it never throws, every entry it
// returns validates against the official server.json schema (the shared reference file,
// compiled here on its own) and the registry rules of its flavor, entries are sorted and
// unique, pending names are planned names, every skip, warning and pending reason is one
// line, the result (pending included) does not depend on a PlanCache, and `validate`
// judges the same objects without throwing. Seeded.

import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateObjects } from '../../src/cli/validate-command.ts';
import { entryProblems } from '../../src/planner/entry-schema.ts';
import { PlanCache } from '../../src/planner/plan-cache.ts';
import { PUBLISHER_PROVIDED_KEY, TOOLHIVE_PUBLISHER_KEY } from '../../src/planner/server-entry.ts';
import { plan } from '../../src/planner/plan.ts';
import { CRDS, objects, options, REFERENCE } from './cluster-objects.ts';
import { ObjectIndex } from '../../src/cluster/object-index.ts';
import type { ToolHiveServerExtensions } from '../../src/planner/toolhive-extension.ts';
import { ruleForwards } from '../../src/gateway-api/forwarding.ts';
import type { HTTPRouteRule, KubeObject } from '../../src/kubernetes/objects.ts';

const SEED = 20_251_203;

// The official schema, from the shared reference and not from the project's vendored copy.
const addFormats = ((addFormatsPlugin as unknown as { default?: typeof addFormatsPlugin }).default ?? addFormatsPlugin) as unknown as (ajv: Ajv) => Ajv;
const officialAjv = new Ajv({ allErrors: true, strictRequired: false });
addFormats(officialAjv);
officialAjv.addKeyword('example');
const officialSchema = officialAjv.compile(JSON.parse(readFileSync(`${REFERENCE}mcp-registry/server.schema.json`, 'utf8')) as object);

const LINE_BREAK = /[\n\r\u000b\u000c\u0085\u2028\u2029]/;

describe('plan over objects built from the official CRD schemas', { timeout: 120_000 }, () => {
  it('loads every kind the planner reads from the reference CRDs', () => {
    expect(new Set(CRDS.map((crd) => crd.kind))).toEqual(new Set(['GatewayClass', 'Gateway', 'HTTPRoute', 'MCPServer', 'MCPRemoteProxy', 'VirtualMCPServer', 'MCPServerEntry', 'MCPToolConfig']));
  });

  it('never throws; every entry validates against the official server.json schema; skips and warnings are one line', () => {
    let planned = 0;
    let pending = 0;
    let runs = 0;
    fc.assert(
      fc.property(objects, options, (input, planOptions) => {
        runs++;
        const result = plan(input, planOptions);
        planned += result.entries.length;
        pending += result.pending.length;
        const names = result.entries.map((entry) => entry.name);
        expect(names).toEqual([...names].sort());
        expect(new Set(names).size).toBe(names.length);
        for (const entry of result.entries) {
          expect(officialSchema(entry) ? [] : officialSchema.errors).toEqual([]);
          expect(entryProblems(entry, planOptions.flavor ?? 'toolhive')).toEqual([]);
        }
        for (const line of [...result.skipped.map((skip) => skip.reason), ...result.warnings.map((warning) => warning.message), ...result.pending.map((p) => p.reason)]) {
          expect(typeof line).toBe('string');
          expect(line).not.toMatch(LINE_BREAK);
        }
        // Pending names are planned names (sorted, once each), each held back by its MCP resources.
        const pendingNames = result.pending.map((p) => p.name);
        expect(pendingNames).toEqual(names.filter((name) => pendingNames.includes(name)));
        expect(new Set(pendingNames).size).toBe(pendingNames.length);
        for (const { objects: held, reason } of result.pending) {
          expect(held.length).toBeGreaterThan(0);
          for (const ref of held) expect(['MCPServer', 'MCPRemoteProxy', 'VirtualMCPServer', 'MCPServerEntry']).toContain(ref.kind);
          expect(reason.split(', ').length).toBeGreaterThanOrEqual(held.length);
        }
        // The same plan from a cache, twice (the second time from what the first remembered).
        const cache = new PlanCache();
        expect(plan(input, planOptions, { cache })).toEqual(result);
        expect(plan(input, planOptions, { cache })).toEqual(result);
        // validate reads the same objects.
        validateObjects(input.map((object) => ({ object, source: 'x:1' })), {
          namePrefix: planOptions.namePrefix ?? 'com.toolhive.k8s.{namespace}',
          referentialChecks: 'deny',
          defaultNamespace: planOptions.defaultNamespace ?? 'default',
        });
      }),
      { seed: SEED, numRuns: 2_500 },
    );
    // Not vacuous: a good share of the sets publish something, and some of it is pending.
    expect(planned).toBeGreaterThan(runs / 10);
    expect(pending).toBeGreaterThan(0);
  });

  it('an MCPServerEntry\'s remote is its registry-url, else its spec.remoteUrl, typed by spec.transport', () => {
    let fromEntries = 0;
    fc.assert(
      fc.property(objects, options, (input, planOptions) => {
        const result = plan(input, planOptions);
        for (const entry of result.entries) {
          const extensions = entry._meta[PUBLISHER_PROVIDED_KEY][TOOLHIVE_PUBLISHER_KEY];
          for (const remote of entry.remotes) {
            const source = extensions[remote.url]!.metadata.kubernetes;
            if (source.kind !== 'MCPServerEntry') continue;
            fromEntries++;
            // The last of duplicates wins, as in ObjectIndex (and kubectl apply).
            const object = input.findLast((candidate) => candidate.kind === 'MCPServerEntry' && candidate.metadata?.name === source.name && (candidate.metadata?.namespace || (planOptions.defaultNamespace ?? 'default')) === source.namespace)!;
            const spec = object.spec as { remoteUrl?: string; transport?: string };
            const annotated = object.metadata?.annotations?.[`${P}registry-url`];
            expect(remote.url).toBe((annotated ?? spec.remoteUrl)!.trim());
            expect(remote.type).toBe(spec.transport === 'sse' ? 'sse' : 'streamable-http');
            if (planOptions.flavor === 'upstream') expect(remote.url.startsWith('https://')).toBe(true);
          }
        }
      }),
      { seed: SEED, numRuns: 1_000 },
    );
    expect(fromEntries).toBeGreaterThan(0);
  });

  it('tools through an MCPToolConfig (discovery.md section 9): none when it is missing, only what its filter lets through', () => {
    let configured = 0;
    let missing = 0;
    let filtered = 0;
    fc.assert(
      fc.property(objects, options, (input, planOptions) => {
        const result = plan(input, planOptions);
        const cluster = new ObjectIndex(input, planOptions.defaultNamespace ?? 'default');
        for (const entry of result.entries) {
          const extensions = (entry._meta[PUBLISHER_PROVIDED_KEY] as unknown as Record<string, Record<string, ToolHiveServerExtensions>>)[TOOLHIVE_PUBLISHER_KEY]!;
          for (const extension of Object.values(extensions)) {
            const { kind, namespace, name } = extension.metadata.kubernetes;
            const ref = (cluster.get(kind, namespace, name)?.spec as { toolConfigRef?: { name?: unknown } } | undefined)?.toolConfigRef?.name;
            if ((kind !== 'MCPServer' && kind !== 'MCPRemoteProxy') || typeof ref !== 'string') continue;
            configured++;
            const config = ref === '' ? undefined : cluster.get('MCPToolConfig', namespace, ref);
            const published = [...(extension.tools ?? []), ...(extension.tool_definitions ?? []).map((definition) => definition.name as string)];
            if (!config) {
              missing++;
              expect(published).toEqual([]);
              expect(result.warnings).toContainEqual({ kind, namespace, name, message: `entry ${entry.name}: spec.toolConfigRef names MCPToolConfig ${namespace}/${ref}, which does not exist; tools and tool_definitions are left out` });
              continue;
            }
            const filter = (config.spec as { toolsFilter?: string[] } | undefined)?.toolsFilter ?? [];
            if (filter.length === 0) continue;
            if (published.length > 0) filtered++;
            for (const tool of published) expect(filter).toContain(tool);
          }
        }
      }),
      { seed: SEED, numRuns: 1_000 },
    );
    // Not vacuous: configured resources were published, with their MCPToolConfig and without.
    expect(configured).toBeGreaterThan(0);
    expect(missing).toBeGreaterThan(0);
    expect(filtered).toBeGreaterThan(0);
  });

  // One rule is one endpoint (discovery.md section 2): within a rule that forwards, the
  // weights decide nothing (a rollout moves them; positions decide). Every backendRef of such
  // a rule set to weight 1 (the rule still forwards) plans exactly the same, cache or not.
  it('the weights inside a forwarding rule change nothing in the plan', () => {
    let splits = 0;
    let reweighted = 0;
    const evenWeights = (object: KubeObject): KubeObject => {
      if (object.kind !== 'HTTPRoute') return object;
      const rules = (object.spec as { rules?: HTTPRouteRule[] } | undefined)?.rules;
      if (!Array.isArray(rules) || !rules.some((rule) => ruleForwards(rule) && (rule.backendRefs ?? []).some((ref) => ref.weight !== 1))) return object;
      reweighted++;
      const even = rules.map((rule) => (ruleForwards(rule) ? { ...rule, backendRefs: (rule.backendRefs ?? []).map((ref) => ({ ...ref, weight: 1 })) } : rule));
      return { ...object, spec: { ...(object.spec as object), rules: even } };
    };
    fc.assert(
      fc.property(objects, options, (input, planOptions) => {
        const result = plan(input, planOptions);
        if (result.warnings.some((warning) => /^rule .* has backendRefs to .*: one rule is one endpoint/.test(warning.message))) splits++;
        const even = input.map(evenWeights);
        expect(plan(even, planOptions)).toEqual(result);
        const cache = new PlanCache();
        plan(input, planOptions, { cache });
        expect(plan(even, planOptions, { cache })).toEqual(result);
      }),
      { seed: SEED, numRuns: 1_000 },
    );
    // Not vacuous: some sets split a rule between MCP resources, and weights were moved.
    expect(splits).toBeGreaterThan(0);
    expect(reweighted).toBeGreaterThan(0);
  });

  // Manifests need not follow the schema (the API server would refuse them, `plan -f` still
  // reads them): subtrees of spec and status replaced by any JSON value.
  it('never throws when specs break the schema either, and says which object it skipped', () => {
    type Json = unknown;
    const placesIn = (root: Json): [Record<string | number, Json>, string | number][] => {
      const found: [Record<string | number, Json>, string | number][] = [];
      const stack = [root];
      while (stack.length > 0) {
        const value = stack.pop();
        if (value === null || typeof value !== 'object') continue;
        for (const key of Object.keys(value)) {
          found.push([value as Record<string | number, Json>, Array.isArray(value) ? Number(key) : key]);
          stack.push((value as Record<string, Json>)[key]);
        }
      }
      return found;
    };
    const broken = fc.tuple(objects, fc.array(fc.tuple(fc.nat(), fc.jsonValue({ maxDepth: 2 })), { minLength: 1, maxLength: 3 })).map(([input, edits]) => {
      const copy = structuredClone(input) as { spec?: Json; status?: Json }[];
      for (const [at, value] of edits) {
        const all = placesIn(copy.flatMap((object) => [object.spec ?? {}, object.status ?? {}]));
        if (all.length === 0) break;
        const [container, key] = all[at % all.length]!;
        container[key] = value;
      }
      return copy as KubeObject[];
    });
    fc.assert(
      fc.property(broken, options, (input, planOptions) => {
        const result = plan(input, planOptions);
        for (const entry of result.entries) expect(entryProblems(entry, planOptions.flavor ?? 'toolhive')).toEqual([]);
        for (const skip of result.skipped) expect(skip.reason).not.toMatch(LINE_BREAK);
        for (const { reason } of result.pending) expect(reason).not.toMatch(LINE_BREAK);
        validateObjects(input.map((object) => ({ object, source: 'x:1' })), { namePrefix: 'com.toolhive.k8s.{namespace}', referentialChecks: 'deny', defaultNamespace: 'default' });
      }),
      // Shrinking these sets takes more memory than a test should; the first counterexample says enough.
      { seed: SEED, numRuns: 1_500, endOnFailure: true },
    );
  });
});

const P = 'toolhive.stacklok.dev/';
const exported = (description = 'GitHub tools') => ({ [`${P}registry-export`]: 'true', [`${P}registry-description`]: description });

describe('regressions', () => {
  it('an HTTPRoute with rules: [null] made plan throw (ruleForwards: Cannot read properties of null)', () => {
    const route: KubeObject = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'r', namespace: 'mcp', annotations: exported() }, spec: { parentRefs: [{ name: 'gw' }], rules: [null] } };
    expect(plan([route]).skipped).toEqual([
      { kind: 'HTTPRoute', namespace: 'mcp', name: 'r', reason: "a spec it depends on does not follow its CRD schema, so it cannot be planned (Cannot read properties of null (reading 'filters'))" },
    ]);
  });

  it('a rule whose backendRefs is a string made validate throw in buildExportIndex', () => {
    const route: KubeObject = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'r', namespace: 'mcp', annotations: exported() }, spec: { rules: [{ backendRefs: 'mcp-x-proxy' }] } };
    const [result] = validateObjects([{ object: route, source: 'x:1' }], { namePrefix: 'com.toolhive.k8s.{namespace}', referentialChecks: 'deny', defaultNamespace: 'default' });
    expect(result?.allowed).toBe(true);
    expect(result?.warnings.map((warning) => warning.message)).toEqual([
      'HTTPRoute mcp/r: spec is malformed, checks against other objects skipped ((rule.backendRefs ?? []).some is not a function)',
    ]);
  });

  it('an MCPServer with spec.image 5 made buildEntries throw (image.indexOf is not a function); it takes the default version', () => {
    const server: KubeObject = {
      apiVersion: 'toolhive.stacklok.dev/v1beta1',
      kind: 'MCPServer',
      metadata: { name: 'github', namespace: 'mcp', annotations: { ...exported(), [`${P}registry-url`]: 'https://mcp.company.com/github' } },
      spec: { image: 5 },
    };
    expect(plan([server]).entries.map((entry) => `${entry.name}@${entry.version}`)).toEqual(['com.toolhive.k8s.mcp/github@1.0.0']);
  });
});
