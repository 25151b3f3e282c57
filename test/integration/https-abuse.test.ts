// The webhook's HTTPS server under hostile clients, over real sockets: it sits in the API
// server's write path with failurePolicy Fail, so anyone on the pod network who can stall
// it stalls every `kubectl apply` of an annotated object. Slow headers and bodies, idle
// and half-open connections, bytes that are not TLS, bodies over the limit and a flood of
// reviews must each cost a bounded amount and never stop the answers to everyone else.
// The timeouts are shortened here (the defaults are seconds long); one test pins them.

import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createAdmissionServer,
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_HTTP_LIMITS,
  type AdmissionServer,
  type AdmissionServerConfig,
} from '../../src/admission/server.ts';
import { EMPTY_CLUSTER } from '../../src/cluster/lookups.ts';
import { DEFAULT_CONTRACT_OPTIONS } from '../../src/contract/types.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { httpsClient, type HttpsClient } from '../support/https-client.ts';
import { createThrowawayCA, type ThrowawayCA } from '../support/throwaway-pki.ts';

const REVIEW = readFileSync(new URL('../fixtures/admission/httproute-create-allowed.json', import.meta.url), 'utf8');
const emptyCluster = { lookups: EMPTY_CLUSTER, options: DEFAULT_CONTRACT_OPTIONS };

// Short enough for a test, long enough that a loaded machine does not trip them by accident.
const SHORT_LIMITS = {
  handshakeTimeoutMs: 1_000,
  headersTimeoutMs: 1_000,
  requestTimeoutMs: 2_000,
  connectionsCheckingIntervalMs: 100,
} satisfies Partial<AdmissionServerConfig>;

let ca: ThrowawayCA;
let workDir: string;
let certFile: string;
let keyFile: string;

beforeAll(async () => {
  ca = createThrowawayCA();
  workDir = await mkdtemp(join(tmpdir(), 'https-abuse-'));
  const serving = ca.issue();
  certFile = join(workDir, 'tls.crt');
  keyFile = join(workDir, 'tls.key');
  await writeFile(certFile, serving.certPem);
  await writeFile(keyFile, serving.keyPem);
});

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

interface Harness {
  admission: AdmissionServer;
  port: number;
  client: HttpsClient;
  /** Log lines the server wrote so far, parsed. */
  logs(): { level: string; msg: string }[];
}

let running: Harness[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(
    running.splice(0).map(async ({ admission, client }) => {
      client.close();
      await admission.shutdown();
    }),
  );
});

async function startServer(overrides: Partial<AdmissionServerConfig> = {}): Promise<Harness> {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const admission = await createAdmissionServer({
    port: 0,
    host: '127.0.0.1',
    certFile,
    keyFile,
    contextProvider: () => emptyCluster,
    logger: createLogger({ level: 'debug', destination }),
    certificatePollIntervalMs: 60_000,
    ...SHORT_LIMITS,
    ...overrides,
  });
  const { port } = await admission.listen();
  const harness: Harness = {
    admission,
    port,
    client: httpsClient(port, ca.certPem),
    logs: () => lines.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line)),
  };
  running.push(harness);
  return harness;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A TLS connection that has finished its handshake and sent nothing yet. `ignoreFin`: like a
 * hostile client, it stays open after the server's FIN, so only the server destroying the
 * connection ends it.
 */
function openTls(port: number, { ignoreFin = false } = {}): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    // tls.connect passes allowHalfOpen on to its socket; @types/node does not list it.
    const options: ConnectionOptions & { allowHalfOpen: boolean } = { host: '127.0.0.1', port, ca: ca.certPem, servername: 'localhost', allowHalfOpen: ignoreFin };
    const socket = tlsConnect(options, () => {
      socket.off('error', reject);
      resolve(socket);
    });
    sockets.push(socket);
    socket.once('error', reject);
  });
}

/** A plain TCP connection: to the TLS server, a client that has not started its handshake. */
function openTcp(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: '127.0.0.1', port }, () => {
      socket.off('error', reject);
      resolve(socket);
    });
    sockets.push(socket);
    socket.once('error', reject);
  });
}

/** Everything the server sends until it closes the connection; `ms` is how long that took. */
function untilClosed(socket: Socket): Promise<{ text: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.on('error', () => {});
    socket.once('close', () => resolve({ text, ms: performance.now() - started }));
  });
}

/** Write `text` one byte every `intervalMs` until it is all sent or the socket closes; resolves with the bytes sent. */
async function trickle(socket: Socket, text: string, intervalMs: number): Promise<number> {
  let sent = 0;
  for (const byte of Buffer.from(text)) {
    if (socket.destroyed || !socket.writable) break;
    socket.write(Buffer.of(byte));
    sent++;
    await sleep(intervalMs);
  }
  return sent;
}

/** POST a review in a loop until `stop`; every answer's status. */
async function steadyTraffic(client: HttpsClient, stop: Promise<unknown>): Promise<number[]> {
  const statuses: number[] = [];
  let stopped = false;
  void stop.then(() => (stopped = true));
  while (!stopped) {
    statuses.push((await client.post('/validate', REVIEW)).status);
    await sleep(20);
  }
  return statuses;
}

function requestHead(contentLength?: number, extra = ''): string {
  const length = contentLength === undefined ? 'Transfer-Encoding: chunked\r\n' : `Content-Length: ${contentLength}\r\n`;
  return `POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n${length}${extra}\r\n`;
}

describe('the HTTPS server under abuse', () => {
  it('uses the documented timeouts by default', async () => {
    const { admission } = await startServer({
      handshakeTimeoutMs: undefined,
      headersTimeoutMs: undefined,
      requestTimeoutMs: undefined,
      connectionsCheckingIntervalMs: undefined,
    });
    const server = admission.server as typeof admission.server & { connectionsCheckingInterval: number };
    expect({
      headersTimeoutMs: server.headersTimeout,
      requestTimeoutMs: server.requestTimeout,
      keepAliveTimeoutMs: server.keepAliveTimeout,
      connectionsCheckingIntervalMs: server.connectionsCheckingInterval,
      maxConnections: server.maxConnections,
    }).toEqual({
      headersTimeoutMs: DEFAULT_HTTP_LIMITS.headersTimeoutMs,
      requestTimeoutMs: DEFAULT_HTTP_LIMITS.requestTimeoutMs,
      keepAliveTimeoutMs: DEFAULT_HTTP_LIMITS.keepAliveTimeoutMs,
      connectionsCheckingIntervalMs: DEFAULT_HTTP_LIMITS.connectionsCheckingIntervalMs,
      maxConnections: DEFAULT_HTTP_LIMITS.maxConnections,
    });
    // Every limit is set and finite: none of them is Node's "no limit" (0 or Infinity).
    for (const value of Object.values(DEFAULT_HTTP_LIMITS)) expect(Number.isFinite(value) && value > 0).toBe(true);
  });

  it('cuts off clients that send their headers a byte at a time with 408, and answers others meanwhile', async () => {
    const { port, client } = await startServer();
    const slow = await Promise.all(Array.from({ length: 20 }, () => openTls(port, { ignoreFin: true })));
    const head = requestHead(2) + '{}';
    const closed = Promise.all(slow.map(untilClosed));
    const sent = Promise.all(slow.map((socket) => trickle(socket, head, 50)));
    const statuses = await steadyTraffic(client, closed);
    for (const { text } of await closed) expect(text).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    // Cut off long before they could have finished their request.
    for (const bytes of await sent) expect(bytes).toBeLessThan(head.length);
    expect(statuses.length).toBeGreaterThan(5);
    expect(new Set(statuses)).toEqual(new Set([200]));
  });

  it('cuts off clients that send their body a byte at a time, and answers others meanwhile', async () => {
    const { port, client } = await startServer();
    const slow = await Promise.all(Array.from({ length: 20 }, () => openTls(port, { ignoreFin: true })));
    const closed = Promise.all(slow.map(untilClosed));
    // Headers in time, then a body that would take 200 s.
    for (const socket of slow) socket.write(requestHead(REVIEW.length));
    const sent = Promise.all(slow.map((socket) => trickle(socket, REVIEW, 50)));
    const statuses = await steadyTraffic(client, closed);
    for (const { text } of await closed) expect(text).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    for (const bytes of await sent) expect(bytes).toBeLessThan(REVIEW.length);
    expect(statuses.length).toBeGreaterThan(5);
    expect(new Set(statuses)).toEqual(new Set([200]));
  });

  it('keeps answering with 1,000 idle connections open, and closes them once the headers timeout passes', async () => {
    // A long headers timeout, so the idle connections are all open while the answers are checked.
    const { port, client } = await startServer({ headersTimeoutMs: 8_000, requestTimeoutMs: 8_000, handshakeTimeoutMs: 8_000 });
    const idle: Socket[] = [];
    // Half of them after the TLS handshake, half plain TCP that never starts one.
    for (let batch = 0; batch < 10; batch++) {
      idle.push(...(await Promise.all(Array.from({ length: 50 }, () => openTls(port)))));
      idle.push(...(await Promise.all(Array.from({ length: 50 }, () => openTcp(port)))));
    }
    const closed = Promise.all(idle.map(untilClosed));
    for (let i = 0; i < 20; i++) {
      const answer = await client.post('/validate', REVIEW);
      expect(answer.status).toBe(200);
      expect(answer.json.response.allowed).toBe(true);
    }
    expect((await client.freshGet('/healthz')).status).toBe(200);
    expect(idle.filter((socket) => socket.destroyed)).toEqual([]);
    // Then the server lets go of every one of them (the test's 30 s timeout is the bound).
    await closed;
  }, 60_000);

  it('refuses connections beyond maxConnections, keeps serving the ones it holds, and logs the refusals once', async () => {
    const { port, client, logs } = await startServer({ maxConnections: 40 });
    // The client's keep-alive connection is open before the hoarders arrive.
    expect((await client.post('/validate', REVIEW)).status).toBe(200);
    const hoarders = await Promise.all(Array.from({ length: 39 }, () => openTcp(port)));
    const refused = await Promise.all(Array.from({ length: 5 }, () => openTcp(port).then(untilClosed)));
    expect(refused.map(({ text }) => text)).toEqual(Array(5).fill(''));
    expect((await client.post('/validate', REVIEW)).status).toBe(200);
    await expect(client.freshGet('/healthz')).rejects.toThrow();
    expect(logs().filter((line) => line.msg === 'refused connections: too many open')).toHaveLength(1);
    for (const socket of hoarders) socket.destroy();
    await expect.poll(async () => (await client.freshGet('/healthz').catch(() => undefined))?.status, { timeout: 5_000 }).toBe(200);
  });

  it('closes connections that stall in the TLS handshake', async () => {
    const { port, client } = await startServer();
    const silent = await openTcp(port);
    // The first bytes of a ClientHello record header, then nothing.
    const partial = await openTcp(port);
    partial.write(Buffer.from([0x16, 0x03, 0x01, 0x02]));
    const [a, b] = await Promise.all([untilClosed(silent), untilClosed(partial)]);
    expect([a.text, b.text]).toEqual(['', '']);
    expect((await client.post('/validate', REVIEW)).status).toBe(200);
  });

  it('drops garbage sent instead of a TLS handshake and keeps serving', async () => {
    const { port, client, logs } = await startServer();
    const garbage = [
      Buffer.from('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n'),
      Buffer.from('POST /validate HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}'),
      Buffer.alloc(64 * 1024, 0xff),
      Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)),
      // A TLS record header announcing 16 KiB, followed by zeros.
      Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x40, 0x00]), Buffer.alloc(16 * 1024)]),
      // An SSLv2-style hello.
      Buffer.from([0x80, 0x2e, 0x01, 0x00, 0x02, 0x00, 0x15, 0x00, 0x00, 0x00, 0x10]),
    ];
    for (const bytes of garbage) {
      const socket = await openTcp(port);
      const closed = untilClosed(socket);
      socket.end(bytes);
      const { text } = await closed;
      // Nothing that looks like an HTTP answer: the server never spoke plain HTTP.
      expect(text).not.toMatch(/HTTP\/1\.1/);
    }
    const answer = await client.post('/validate', REVIEW);
    expect(answer.status).toBe(200);
    expect((await client.freshGet('/healthz')).status).toBe(200);
    const levels = logs().map((line) => line.level);
    expect(levels).not.toContain('error');
    expect(logs().filter((line) => line.msg === 'TLS handshake failed').length).toBeGreaterThanOrEqual(garbage.length - 1);
  });

  it('answers 413 as soon as the declared Content-Length is over the limit, before the body is sent', async () => {
    const { port, client } = await startServer({ requestTimeoutMs: 10_000, headersTimeoutMs: 10_000 });
    const socket = await openTls(port);
    const answered = new Promise<string>((resolve) => socket.once('data', (chunk: Buffer) => resolve(chunk.toString('latin1'))));
    socket.write(requestHead(100 * 1024 * 1024));
    socket.write('{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{');
    const head = await answered;
    expect(head).toMatch(/^HTTP\/1\.1 413 Payload Too Large\r\n/);
    expect(head).toMatch(/\r\nconnection: close\r\n/i);
    expect(head).toContain(`the request body is larger than ${DEFAULT_BODY_LIMIT_BYTES} bytes`);
    // The server then closes the connection instead of reading 100 MiB to its end.
    await untilClosed(socket);
    expect((await client.post('/validate', REVIEW)).status).toBe(200);
  });

  it('answers 413 once a chunked body passes the limit, without waiting for its end, and lets go of the connection', async () => {
    const { port, client } = await startServer({ requestTimeoutMs: 10_000, headersTimeoutMs: 10_000 });
    const socket = await openTls(port);
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    const closed = untilClosed(socket);
    socket.write(requestHead(undefined));
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const framed = Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]);
    let sent = 0;
    // A body without end: keep sending until the server answers (or 4 times the limit).
    while (answer === '' && sent < 4 * DEFAULT_BODY_LIMIT_BYTES && !socket.destroyed) {
      if (!socket.write(framed)) await new Promise((resolve) => socket.once('drain', resolve));
      sent += chunk.length;
      await sleep(0);
    }
    expect(answer).toMatch(/^HTTP\/1\.1 413 Payload Too Large\r\n/);
    expect(sent).toBeLessThan(4 * DEFAULT_BODY_LIMIT_BYTES);
    // The connection is not kept for the rest of a body that never ends.
    await closed;
    expect((await client.post('/validate', REVIEW)).status).toBe(200);
  });

  it('holds at most the body budget across concurrent requests: the one that would pass it gets 503, the others are judged', async () => {
    const { port, client } = await startServer({ bodyBudgetBytes: 1024 * 1024, requestTimeoutMs: 10_000, headersTimeoutMs: 10_000 });
    const review = JSON.parse(REVIEW);
    review.request.object.metadata.annotations['example.com/padding'] = 'x'.repeat(400 * 1024);
    const body = Buffer.from(JSON.stringify(review));
    const clients = await Promise.all(Array.from({ length: 4 }, () => openTls(port)));
    const answers = clients.map((socket) => {
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
      return () => text;
    });
    const closed = clients.map(untilClosed);
    // Each sends three quarters of its body and waits: 4 x 300 KiB is more than the 1 MiB budget.
    for (const socket of clients) {
      socket.write(requestHead(body.length));
      socket.write(body.subarray(0, 300 * 1024));
      await sleep(300);
    }
    await closed[3];
    expect(answers[3]!()).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
    expect(answers[3]!()).toContain('bytes of request bodies already');
    expect(answers.slice(0, 3).map((answer) => answer())).toEqual(['', '', '']);
    // The others finish and are judged; their bytes go back to the budget.
    for (const socket of clients.slice(0, 3)) socket.write(body.subarray(300 * 1024));
    await expect.poll(() => answers.slice(0, 3).map((answer) => answer().slice(0, 15)), { timeout: 10_000 }).toEqual(Array(3).fill('HTTP/1.1 200 OK'));
    // All of it is back: a body of nearly the whole budget is accepted.
    review.request.object.metadata.annotations['example.com/padding'] = 'x'.repeat(1000 * 1024);
    expect((await client.post('/validate', review)).status).toBe(200);
  });

  it('keeps /healthz answering within the kubelet probe timeout during a flood on /validate', async () => {
    const { port, client } = await startServer();
    // Reviews just under the body limit: the most work an accepted request can ask for.
    const big = JSON.parse(REVIEW);
    big.request.object.metadata.annotations['example.com/padding'] = 'x'.repeat(DEFAULT_BODY_LIMIT_BYTES - REVIEW.length - 200);
    const bigBody = JSON.stringify(big);
    let flooding = true;
    const flooders = Array.from({ length: 24 }, async (_, i) => {
      const statuses: number[] = [];
      while (flooding) statuses.push((await client.post('/validate', i % 2 === 0 ? bigBody : REVIEW)).status);
      return statuses;
    });
    const probes: { status: number; ms: number }[] = [];
    // The kubelet opens a new connection per probe (its client disables keep-alive).
    for (let i = 0; i < 15; i++) {
      const started = performance.now();
      const { status } = await client.freshGet('/healthz');
      probes.push({ status, ms: performance.now() - started });
      await sleep(100);
    }
    flooding = false;
    const floods = (await Promise.all(flooders)).flat();
    expect(floods.length).toBeGreaterThan(24);
    expect(new Set(floods)).toEqual(new Set([200]));
    // The chart's liveness probe: timeoutSeconds 3.
    expect(probes.filter((probe) => probe.status !== 200 || probe.ms >= 3_000)).toEqual([]);
  }, 60_000);
});
