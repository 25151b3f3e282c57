// Throughput and latency of the admission webhook under HTTPS keep-alive load, against a
// bare node:https "floor" answering a fixed AdmissionReview. Servers run in child processes
// (bench/admission-server.child.ts) so autocannon does not share their event loop. Two more
// floors show where the gap goes: one answering the webhook's exact /validate bytes, one
// that also JSON.parses each review (what any webhook pays before judging it).
//   npm run bench:webhook                          10 s per run
//   BENCH_SECONDS=3 BENCH_CONCURRENCY=16 BENCH_TARGETS=floor,validate npm run bench:webhook
//   BENCH_COMPARE=../other-checkout npm run bench:webhook   also that checkout's webhook, in the same run
//   BENCH_CPU_PROF=/tmp/profiles npm run bench:webhook       a V8 CPU profile per webhook server (open in Chrome DevTools)
// Each run is cut into BENCH_SLICES slices (default 5) taken round-robin over the servers, so
// load from elsewhere on the machine falls on all of them alike.
// Goal (2 cores): at concurrency 16, >= 0.8 of the floor's requests/s and p99 < 5 ms.

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { createThrowawayCA } from '../test/support/throwaway-pki.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const SLICES = Math.max(1, Number(process.env.BENCH_SLICES ?? 5));
const CONCURRENCIES = (process.env.BENCH_CONCURRENCY ?? '1,16,64').split(',').map(Number);
// Warm-up by requests, not seconds: V8 tiers functions up by how often they ran, so a slow
// server warmed for 3 s was still compiling (about 1.4 s of optimizing-compiler CPU in the
// first 5 s of /validate load, none after 10 s) while its numbers were taken.
const WARMUP_REQUESTS = Number(process.env.BENCH_WARMUP_REQUESTS ?? 40_000);
const GOAL = { concurrency: 16, ratio: 0.8, p99Ms: 5 };
// The profiler costs the servers it runs in, so figures taken with it compare only among themselves.
const CPU_PROFILE_DIR = process.env.BENCH_CPU_PROF ? resolve(process.env.BENCH_CPU_PROF) : undefined;

const CHILD = fileURLToPath(new URL('./admission-server.child.ts', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../test/fixtures/admission/httproute-create-allowed.json', import.meta.url));

interface Target {
  name: string;
  mode: 'webhook' | 'floor' | 'floor-answer' | 'floor-parse';
  /** The server script, when not this checkout's (BENCH_COMPARE). */
  child?: string;
  path: string;
  /** Send the same review with a kind the contract does not cover: the server's cost without the contract's. */
  outOfScope?: boolean;
}

const FLOOR = 'floor (bare https)';
const FLOOR_PARSE = 'floor + JSON.parse';
const ALL_TARGETS: Target[] = [
  { name: FLOOR, mode: 'floor', path: '/validate' },
  { name: 'floor, /validate answer', mode: 'floor-answer', path: '/validate' },
  { name: FLOOR_PARSE, mode: 'floor-parse', path: '/validate' },
  { name: 'webhook /validate', mode: 'webhook', path: '/validate' },
  { name: 'webhook /mutate', mode: 'webhook', path: '/mutate' },
  { name: 'webhook shell only', mode: 'webhook', path: '/validate', outOfScope: true },
];
// BENCH_TARGETS=validate,mutate (any substring of the names) narrows a quick check.
const SELECTED = process.env.BENCH_TARGETS
  ? ALL_TARGETS.filter((target) => process.env.BENCH_TARGETS!.split(',').some((part) => target.name.includes(part)))
  : ALL_TARGETS;
const COMPARE = process.env.BENCH_COMPARE;
const TARGETS: Target[] = COMPARE
  ? SELECTED.flatMap((target) =>
      target.mode === 'webhook'
        ? [target, { ...target, name: `${target.name} [${basename(resolve(COMPARE))}]`, child: join(resolve(COMPARE), 'bench/admission-server.child.ts') }]
        : [target],
    )
  : SELECTED;

interface Row {
  target: string;
  concurrency: number;
  requestsPerSecond: number;
  /** Server CPU per answered request: robust against other load on the machine, unlike req/s. */
  cpuMicrosPerRequest: number;
  p50Ms: number;
  p99Ms: number;
  idleRssMiB: number;
  peakRssMiB: number;
  failures: number;
}

async function startChild(target: Target, certFile: string, keyFile: string): Promise<{ child: ChildProcess; port: number }> {
  const { mode } = target;
  const profile = CPU_PROFILE_DIR && mode === 'webhook' ? ['--cpu-prof', '--cpu-prof-dir', CPU_PROFILE_DIR, '--cpu-prof-name', `${target.name.replace(/[^a-z0-9]+/gi, '-')}.cpuprofile`] : [];
  const child = spawn(process.execPath, [...profile, target.child ?? CHILD, mode, certFile, keyFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${mode} server exited with ${code} before listening`)));
    lines.once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
  });
  return { child, port };
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Resident set size of a process (Linux): now (VmRSS) or its peak so far (VmHWM). */
function rssMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return kib / 1024;
}

/** One real request first: the load must measure correct answers, not fast errors. */
function checkAnswer(port: number, path: string, body: string, ca: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', ca, headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        const answer = JSON.parse(text) as { response?: { uid?: string; allowed?: boolean } };
        if (res.statusCode === 200 && answer.response?.allowed === true && answer.response.uid) resolve();
        else reject(new Error(`unexpected answer from ${path}: ${res.statusCode} ${text.slice(0, 300)}`));
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

// Clock ticks per second of /proc/<pid>/stat times; 100 on every Linux we run on.
const CLOCK_TICKS = 100;

/** CPU time (user + system) a process has used so far, in seconds (Linux). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Percentile of sorted samples (nearest rank). */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

// autocannon's own latency histogram has 1 ms resolution; the answers take well under a
// millisecond, so we record each response time (float ms) ourselves.
async function load(port: number, path: string, body: string, connections: number, run: { duration: number } | { amount: number }) {
  const latencies: number[] = [];
  const instance = autocannon({
    url: `https://127.0.0.1:${port}${path}`,
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json' },
    connections,
    pipelining: 1,
    ...run,
    servername: 'localhost',
  });
  instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
    if (statusCode === 200) latencies.push(responseTimeMs);
  });
  const result = await instance;
  return { result, latencies };
}

function format(rows: readonly Row[]): string {
  const floor = new Map(rows.filter((row) => row.target === FLOOR).map((row) => [row.concurrency, row.requestsPerSecond]));
  // CPU per request is what a shared 2-core machine measures honestly (req/s is bounded by
  // the load generator on the same cores): the server's CPU per request over the bare
  // floor's, and over the floor that also parses the review.
  const cpuOf = (target: string) => new Map(rows.filter((row) => row.target === target).map((row) => [row.concurrency, row.cpuMicrosPerRequest]));
  const floorCpu = cpuOf(FLOOR);
  const parseCpu = cpuOf(FLOOR_PARSE);
  const header = ['target', 'conc', 'req/s', 'CPU µs/req', 'CPU x floor', 'CPU x floor+parse', 'p50 ms', 'p99 ms', 'RSS idle MiB', 'RSS peak MiB', 'vs floor', 'failures'];
  const table = rows.map((row) => [
    row.target,
    String(row.concurrency),
    row.requestsPerSecond.toFixed(0),
    row.cpuMicrosPerRequest.toFixed(0),
    (row.cpuMicrosPerRequest / (floorCpu.get(row.concurrency) ?? Number.NaN)).toFixed(2),
    (row.cpuMicrosPerRequest / (parseCpu.get(row.concurrency) ?? Number.NaN)).toFixed(2),
    row.p50Ms.toFixed(2),
    row.p99Ms.toFixed(2),
    row.idleRssMiB.toFixed(0),
    row.peakRssMiB.toFixed(0),
    (row.requestsPerSecond / (floor.get(row.concurrency) ?? Number.NaN)).toFixed(2),
    String(row.failures),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...table.map((cells) => cells[column]!.length)));
  const line = (cells: string[]) => `| ${cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join(' | ')} |`;
  return [line(header), `|${widths.map((width, column) => (column === 0 ? ':' : '') + '-'.repeat(width + 1) + (column === 0 ? '' : ':')).join('|')}|`, ...table.map(line)].join('\n');
}

async function main(): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'webhook-bench-'));
  try {
    const ca = createThrowawayCA('webhook bench CA');
    const serving = ca.issue();
    const certFile = join(dir, 'tls.crt');
    const keyFile = join(dir, 'tls.key');
    await writeFile(certFile, serving.certPem);
    await writeFile(keyFile, serving.keyPem);
    const review = JSON.parse(readFileSync(FIXTURE, 'utf8'));
    const body = JSON.stringify(review);
    // Same size, but an HTTPRoute of a foreign API group: parsed, checked, answered, not judged.
    review.request.object.apiVersion = 'example.com/v1';
    const outOfScopeBody = JSON.stringify(review);
    const bodyOf = (target: Target) => (target.outOfScope ? outOfScopeBody : body);

    console.log(`node ${process.version}, ${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'}), body ${body.length} bytes, ${SECONDS} s per run, warm-up ${WARMUP_REQUESTS} requests per server`);
    const rows: Row[] = [];
    // All servers up at once, runs interleaved per concurrency: the ratio to the floor then
    // compares runs made seconds apart, which matters on a shared, noisy machine.
    const servers = [];
    try {
      for (const target of TARGETS) {
        const started = await startChild(target, certFile, keyFile);
        servers.push({ target, ...started, idleRssMiB: rssMiB(started.child.pid!, 'VmRSS') });
      }
      for (const { target, port } of servers) {
        await checkAnswer(port, target.path, bodyOf(target), ca.certPem);
        await load(port, target.path, bodyOf(target), 16, { amount: WARMUP_REQUESTS });
      }
      for (const concurrency of CONCURRENCIES) {
        const totals = servers.map(() => ({ requests: 0, seconds: 0, cpu: 0, failures: 0, latencies: [] as number[] }));
        for (let slice = 0; slice < SLICES; slice++) {
          for (const [index, { target, port, child }] of servers.entries()) {
            const cpuBefore = cpuSeconds(child.pid!);
            const { result, latencies } = await load(port, target.path, bodyOf(target), concurrency, { duration: SECONDS / SLICES });
            const total = totals[index]!;
            total.cpu += cpuSeconds(child.pid!) - cpuBefore;
            total.requests += result.requests.total;
            total.seconds += result.duration;
            total.failures += result.errors + result.timeouts + result.non2xx;
            for (const latency of latencies) total.latencies.push(latency);
          }
        }
        for (const [index, { target }] of servers.entries()) {
          const { requests, seconds, cpu, failures, latencies } = totals[index]!;
          latencies.sort((a, b) => a - b);
          const row: Row = {
            target: target.name,
            concurrency,
            requestsPerSecond: requests / seconds,
            cpuMicrosPerRequest: (cpu * 1e6) / Math.max(1, requests),
            p50Ms: percentile(latencies, 50),
            p99Ms: percentile(latencies, 99),
            idleRssMiB: 0,
            peakRssMiB: 0,
            failures,
          };
          rows.push(row);
          console.log(`  ${target.name} c=${concurrency}: ${row.requestsPerSecond.toFixed(0)} req/s, ${row.cpuMicrosPerRequest.toFixed(0)} µs CPU/req, p50 ${row.p50Ms.toFixed(2)} ms, p99 ${row.p99Ms.toFixed(2)} ms`);
        }
      }
      for (const { target, child, idleRssMiB } of servers) {
        const peak = rssMiB(child.pid!, 'VmHWM');
        for (const row of rows) if (row.target === target.name) Object.assign(row, { idleRssMiB, peakRssMiB: peak });
      }
    } finally {
      await Promise.all(servers.map(({ child }) => stopChild(child)));
    }
    rows.sort((a, b) => TARGETS.findIndex((t) => t.name === a.target) - TARGETS.findIndex((t) => t.name === b.target) || a.concurrency - b.concurrency);

    console.log(`\n${format(rows)}\n`);
    let failed = rows.some((row) => row.failures > 0);
    const floor = rows.find((row) => row.target === FLOOR && row.concurrency === GOAL.concurrency);
    for (const row of rows.filter((r) => !r.target.startsWith('floor') && r.concurrency === GOAL.concurrency)) {
      const ratio = row.requestsPerSecond / (floor?.requestsPerSecond ?? Number.NaN);
      const met = ratio >= GOAL.ratio && row.p99Ms < GOAL.p99Ms;
      console.log(`goal at c=${GOAL.concurrency} (>= ${GOAL.ratio} of floor, p99 < ${GOAL.p99Ms} ms): ${row.target} ${met ? 'met' : 'MISSED'} (${ratio.toFixed(2)}, ${row.p99Ms.toFixed(2)} ms)`);
    }
    if (failed) console.log('some requests failed: see the failures column');
    if (CPU_PROFILE_DIR) console.log(`CPU profiles of the webhook servers in ${CPU_PROFILE_DIR}`);
    return failed ? 1 : 0;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
