// Throughput and latency of the admission webhook under HTTPS keep-alive load, against a
// bare node:https "floor" answering a fixed AdmissionReview. Servers run in child processes
// (bench/admission-server.child.ts) so autocannon does not share their event loop.
//   npm run bench:webhook                          10 s per run
//   BENCH_SECONDS=3 BENCH_CONCURRENCY=16 BENCH_TARGETS=floor,validate npm run bench:webhook
// Goal (2 cores): at concurrency 16, >= 0.8 of the floor's requests/s and p99 < 5 ms.

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { createThrowawayCA } from '../test/support/throwaway-pki.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCIES = (process.env.BENCH_CONCURRENCY ?? '1,16,64').split(',').map(Number);
const WARMUP_SECONDS = Math.min(3, SECONDS);
const GOAL = { concurrency: 16, ratio: 0.8, p99Ms: 5 };

const CHILD = fileURLToPath(new URL('./admission-server.child.ts', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../test/fixtures/admission/httproute-create-allowed.json', import.meta.url));

interface Target {
  name: string;
  mode: 'webhook' | 'floor';
  path: string;
}

const ALL_TARGETS: Target[] = [
  { name: 'floor (bare https)', mode: 'floor', path: '/validate' },
  { name: 'webhook /validate', mode: 'webhook', path: '/validate' },
  { name: 'webhook /mutate', mode: 'webhook', path: '/mutate' },
];
// BENCH_TARGETS=validate,mutate (any substring of the names) narrows a quick check.
const TARGETS = process.env.BENCH_TARGETS
  ? ALL_TARGETS.filter((target) => process.env.BENCH_TARGETS!.split(',').some((part) => target.name.includes(part)))
  : ALL_TARGETS;

interface Row {
  target: string;
  concurrency: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  peakRssMiB: number;
  failures: number;
}

async function startChild(mode: Target['mode'], certFile: string, keyFile: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [CHILD, mode, certFile, keyFile], { stdio: ['ignore', 'pipe', 'inherit'] });
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

/** Peak resident set size of a process so far (Linux). */
function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN);
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

async function load(port: number, path: string, body: string, connections: number, duration: number) {
  return autocannon({
    url: `https://127.0.0.1:${port}${path}`,
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json' },
    connections,
    pipelining: 1,
    duration,
    servername: 'localhost',
  });
}

function format(rows: readonly Row[]): string {
  const floor = new Map(rows.filter((row) => row.target.startsWith('floor')).map((row) => [row.concurrency, row.requestsPerSecond]));
  const header = ['target', 'conc', 'req/s', 'p50 ms', 'p99 ms', 'peak RSS MiB', 'vs floor', 'failures'];
  const table = rows.map((row) => [
    row.target,
    String(row.concurrency),
    row.requestsPerSecond.toFixed(0),
    row.p50Ms.toFixed(2),
    row.p99Ms.toFixed(2),
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
    const body = JSON.stringify(JSON.parse(readFileSync(FIXTURE, 'utf8')));

    console.log(`node ${process.version}, ${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'}), body ${body.length} bytes, ${SECONDS} s per run, warm-up ${WARMUP_SECONDS} s`);
    const rows: Row[] = [];
    // All servers up at once, runs interleaved per concurrency: the ratio to the floor then
    // compares runs made seconds apart, which matters on a shared, noisy machine.
    const servers = [];
    try {
      for (const target of TARGETS) servers.push({ target, ...(await startChild(target.mode, certFile, keyFile)) });
      for (const { target, port } of servers) {
        await checkAnswer(port, target.path, body, ca.certPem);
        await load(port, target.path, body, 16, WARMUP_SECONDS);
      }
      for (const concurrency of CONCURRENCIES) {
        for (const { target, port } of servers) {
          const result = await load(port, target.path, body, concurrency, SECONDS);
          rows.push({
            target: target.name,
            concurrency,
            requestsPerSecond: result.requests.average,
            p50Ms: result.latency.p50,
            p99Ms: result.latency.p99,
            peakRssMiB: 0,
            failures: result.errors + result.timeouts + result.non2xx,
          });
          console.log(`  ${target.name} c=${concurrency}: ${result.requests.average.toFixed(0)} req/s, p99 ${result.latency.p99} ms`);
        }
      }
      for (const { target, child } of servers) {
        const peak = peakRssMiB(child.pid!);
        for (const row of rows) if (row.target === target.name) row.peakRssMiB = peak;
      }
    } finally {
      await Promise.all(servers.map(({ child }) => stopChild(child)));
    }
    rows.sort((a, b) => TARGETS.findIndex((t) => t.name === a.target) - TARGETS.findIndex((t) => t.name === b.target) || a.concurrency - b.concurrency);

    console.log(`\n${format(rows)}\n`);
    let failed = rows.some((row) => row.failures > 0);
    const floor = rows.find((row) => row.target.startsWith('floor') && row.concurrency === GOAL.concurrency);
    for (const row of rows.filter((r) => !r.target.startsWith('floor') && r.concurrency === GOAL.concurrency)) {
      const ratio = row.requestsPerSecond / (floor?.requestsPerSecond ?? Number.NaN);
      const met = ratio >= GOAL.ratio && row.p99Ms < GOAL.p99Ms;
      console.log(`goal at c=${GOAL.concurrency} (>= ${GOAL.ratio} of floor, p99 < ${GOAL.p99Ms} ms): ${row.target} ${met ? 'met' : 'MISSED'} (${ratio.toFixed(2)}, ${row.p99Ms} ms)`);
    }
    if (failed) console.log('some requests failed: see the failures column');
    return failed ? 1 : 0;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
