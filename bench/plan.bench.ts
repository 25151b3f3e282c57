// Planner benchmark (`npm run bench:plan`): a synthetic cluster of 500 Namespaces, 200
// Gateways, 10,000 MCPServers and 10,000 exported HTTPRoutes (one per server, all
// accepted). Prints the time of a full plan (cold, then warm), the time to re-plan after
// one route changes (as an informer replaces it), and peak RSS. Goals (issue #3): full
// plan < 1 s, peak RSS < 300 MB.
//
// Each scenario runs in a fresh child process, so one scenario's garbage does not count
// toward another's peak RSS; CPU time is printed beside wall time because a busy machine
// stretches wall time.

import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { ObjectIndex } from '../src/cluster/object-index.ts';
import type { Gateway, HTTPRoute, KubeObject } from '../src/kubernetes/objects.ts';
import { PlanCache } from '../src/planner/plan-cache.ts';
import { plan } from '../src/planner/plan.ts';

const NAMESPACES = 500;
const GATEWAYS = 200;
const SERVERS = 10_000;
const CONTROLLER = 'example.com/gateway-controller';
const P = 'toolhive.stacklok.dev/';

function uid(i: number, kind: number): string {
  const hex = (i * 16 + kind).toString(16).padStart(12, '0');
  return `00000000-0000-4000-8000-${hex}`;
}

function cluster(): KubeObject[] {
  const objects: KubeObject[] = [
    { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: 'public' }, spec: { controllerName: CONTROLLER } },
  ];
  for (let n = 0; n < NAMESPACES; n++) {
    objects.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `team-${n}`, labels: { 'mcp-exports': 'allowed' } } });
  }
  for (let g = 0; g < GATEWAYS; g++) {
    const gateway: Gateway = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: `gw-${g}`, namespace: 'gateway-system', generation: 1 },
      spec: {
        gatewayClassName: 'public',
        listeners: [
          { name: 'http', port: 80, protocol: 'HTTP', hostname: `*.g${g}.example.com`, allowedRoutes: { namespaces: { from: 'All' } } },
          {
            name: 'https',
            port: 443,
            protocol: 'HTTPS',
            hostname: `*.g${g}.example.com`,
            allowedRoutes: { namespaces: { from: 'Selector', selector: { matchLabels: { 'mcp-exports': 'allowed' } } } },
          },
        ],
      },
      status: { addresses: [{ type: 'IPAddress', value: `10.0.${g >> 8}.${g & 255}` }, { type: 'Hostname', value: `lb.g${g}.example.com` }] },
    };
    objects.push(gateway);
  }
  for (let i = 0; i < SERVERS; i++) {
    const namespace = `team-${i % NAMESPACES}`;
    const name = `server-${i}`;
    objects.push({
      apiVersion: 'toolhive.stacklok.dev/v1beta1',
      kind: 'MCPServer',
      metadata: {
        name,
        namespace,
        uid: uid(i, 1),
        generation: 1,
        annotations: {
          [`${P}registry-description`]: `MCP server number ${i}`,
          [`${P}registry-tools`]: 'search,read_file,write_file',
          [`${P}registry-tier`]: i % 2 ? 'Community' : 'Official',
        },
      },
      // Every third server is stdio behind an SSE proxy that knows its public prefix.
      spec: { image: `ghcr.io/example/server-${i}:v1.${i % 10}.0`, transport: i % 3 ? 'streamable-http' : 'stdio', proxyMode: 'sse', endpointPrefix: `/server-${i}` },
      // As ToolHive's operator reports a running server (publishing.md §4).
      status: { phase: 'Ready' },
    });
    objects.push(routeFor(i, 1));
  }
  return objects;
}

function routeFor(i: number, generation: number, description?: string): HTTPRoute {
  const namespace = `team-${i % NAMESPACES}`;
  const g = i % GATEWAYS;
  const parentRef = { name: `gw-${g}`, namespace: 'gateway-system' };
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: {
      name: `server-${i}`,
      namespace,
      uid: uid(i, 2),
      generation,
      annotations: {
        [`${P}registry-export`]: 'true',
        [`${P}registry-tags`]: 'bench,synthetic',
        ...(description ? { [`${P}registry-description`]: description } : {}),
      },
    },
    spec: {
      parentRefs: [parentRef],
      hostnames: [`mcp.g${g}.example.com`],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: `/server-${i}` } }],
          filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } }],
          backendRefs: [{ name: `mcp-server-${i}-proxy`, port: 8080 }],
        },
      ],
    },
    status: {
      parents: [{ parentRef, controllerName: CONTROLLER, conditions: [{ type: 'Accepted', status: 'True', observedGeneration: generation }] }],
    },
  };
}

interface Timing {
  wallMs: number;
  cpuMs: number;
}

function time<T>(run: () => T): Timing & { value: T } {
  // `value` is for the caller's checks; JSON.stringify of a Timing leaves it out (toJSON).
  const cpu = process.cpuUsage();
  const start = performance.now();
  const value = run();
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000;
  return { wallMs, cpuMs, value, toJSON: () => ({ wallMs, cpuMs }) } as Timing & { value: T };
}

function median(timings: Timing[]): Timing {
  const pick = (key: keyof Timing) => [...timings.map((t) => t[key])].sort((a, b) => a - b)[Math.floor(timings.length / 2)]!;
  return { wallMs: pick('wallMs'), cpuMs: pick('cpuMs') };
}

const maxRssMb = () => process.resourceUsage().maxRSS / 1024;

function checkFullPlan(result: ReturnType<typeof plan>): void {
  if (result.entries.length !== SERVERS || result.skipped.length !== 0 || result.warnings.length !== 0) {
    const first = result.skipped[0] ?? result.warnings[0];
    throw new Error(`unexpected plan: ${result.entries.length} entries, ${result.skipped.length} skipped, ${result.warnings.length} warnings (${JSON.stringify(first)})`);
  }
}

/** A full plan from the list of objects, cold (ajv compilation, JIT) and then warm. */
function fullScenario(): Record<string, unknown> {
  const objects = cluster();
  const objectsRssMb = maxRssMb();
  const cold = time(() => plan(objects));
  checkFullPlan(cold.value);
  const afterOnePlanMb = maxRssMb();
  const warm = median(Array.from({ length: 5 }, () => time(() => plan(objects))));
  const index = time(() => new ObjectIndex(objects));
  return { objectsRssMb, cold, afterOnePlanMb, warm, indexMs: index.wallMs, peakMb: maxRssMb() };
}

/** The publisher's steady state: one full plan, then a re-plan per changed route. */
function replanScenario(): Record<string, unknown> {
  const objects = cluster();
  const index = new ObjectIndex(objects);
  const cache = new PlanCache();
  checkFullPlan(plan(index, {}, { cache }));
  const replans: Timing[] = [];
  for (let round = 0; round < 5; round++) {
    index.add(routeFor(42, 2 + round, `Changed description ${round}`));
    const replan = time(() => plan(index, {}, { cache }));
    const changed = replan.value.entries.find((entry) => entry.name === 'com.toolhive.k8s.team-42/server-42');
    if (changed?.description !== `Changed description ${round}`) throw new Error('the changed route did not show in the re-plan');
    replans.push(replan);
  }
  return { replan: median(replans), peakMb: maxRssMb() };
}

function child(scenario: string, v8Flags: string[] = []): Record<string, any> {
  const run = spawnSync(process.execPath, [...v8Flags, import.meta.filename, scenario], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (run.status !== 0) throw new Error(`${scenario} failed (${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout);
}

const scenario = process.argv[2];
if (scenario === 'full' || scenario === 'replan') {
  process.stdout.write(`${JSON.stringify(scenario === 'full' ? fullScenario() : replanScenario())}\n`);
} else {
  const ms = (t: Timing) => `${t.wallMs.toFixed(0)} ms wall, ${t.cpuMs.toFixed(0)} ms CPU`;
  const mb = (value: number) => `${value.toFixed(0)} MB`;
  const full = child('full');
  const replan = child('replan');
  const smallYoung = ['--max-semi-space-size=16'];
  const fullSmall = child('full', smallYoung);
  const replanSmall = child('replan', smallYoung);
  const rss = (f: Record<string, any>, r: Record<string, any>) =>
    `${mb(f.afterOnePlanMb)} one full plan, ${mb(r.peakMb)} full plan + 5 re-plans, ${mb(f.peakMb)} 6 full plans`;
  const lines = [
    `planner benchmark: ${NAMESPACES} Namespaces, ${GATEWAYS} Gateways, ${SERVERS} MCPServers, ${SERVERS} exported HTTPRoutes -> ${SERVERS} entries`,
    `full plan, cold (ajv compile, JIT):       ${ms(full.cold)}`,
    `full plan, warm (median of 5):            ${ms(full.warm)}   (goal < 1000 ms)`,
    `  building the ObjectIndex from the list: ${full.indexMs.toFixed(0)} ms`,
    `re-plan after one route changed (median): ${ms(replan.replan)}   (PlanCache kept across plans)`,
    `peak RSS (goal < 300 MB; ${mb(full.objectsRssMb)} with the cluster objects built):`,
    `  Node defaults:             ${rss(full, replan)}`,
    `  --max-semi-space-size=16:  ${rss(fullSmall, replanSmall)}`,
    '  (Node 24 lets the young generation grow to 128 MB on this machine; the plan itself retains ~35 MB)',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
