// An HTTP proxy in front of the real registry for fault injection: it forwards every request
// unless a fault is set, and counts what it saw. Faults: answer with a status (503, 429 with
// Retry-After), drop the connection without answering, or add a delay. Apart from faults, a
// rewrite (setRewrite) changes the JSON bodies of the registry's answers on the way back: a
// registry that does not keep what it was given (publishing.md §5).

import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault =
  | { kind: 'status'; status: number; retryAfterSeconds?: number }
  | { kind: 'drop' }
  | { kind: 'delay'; ms: number }
  /** Fail this fraction of requests (0..1) with the status, at random. */
  | { kind: 'random'; fraction: number; status: number };

/**
 * Rewrites one JSON answer: gets the parsed body (the function may change it in place) and
 * returns what to send instead (undefined: the body as changed in place).
 */
export type JsonRewrite = (request: { method: string; path: string; status: number }, body: unknown) => unknown;

export interface FaultProxy {
  url: string;
  /** Requests seen, by `METHOD path-without-query`, and in total. */
  readonly seen: { total: number; faulted: number; log: { at: number; method: string; path: string; answered: number | 'dropped' }[] };
  setFault(fault: Fault | undefined): void;
  /** Rewrite every JSON answer from now on (undefined: pass them through untouched). */
  setRewrite(rewrite: JsonRewrite | undefined): void;
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  let fault: Fault | undefined;
  let rewrite: JsonRewrite | undefined;
  const seen: FaultProxy['seen'] = { total: 0, faulted: 0, log: [] };

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const transform = rewrite;
    const headers = { ...req.headers, host: upstream.host };
    // A body to rewrite must arrive uncompressed.
    if (transform) delete headers['accept-encoding'];
    const out = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
      (answer) => {
        const status = answer.statusCode ?? 502;
        if (!transform || !/json/i.test(String(answer.headers['content-type'] ?? ''))) {
          res.writeHead(status, answer.headers);
          answer.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('error', () => res.destroy());
        answer.on('end', () => {
          let text = Buffer.concat(chunks).toString('utf8');
          try {
            const parsed: unknown = JSON.parse(text);
            const changed = transform({ method: req.method ?? '', path: (req.url ?? '').split('?')[0]!, status }, parsed);
            text = JSON.stringify(changed === undefined ? parsed : changed);
          } catch {
            // Not JSON after all: passed on as it came.
          }
          const { 'content-length': _length, 'transfer-encoding': _encoding, ...rest } = answer.headers;
          res.writeHead(status, { ...rest, 'content-length': String(Buffer.byteLength(text)) });
          res.end(text);
        });
      },
    );
    out.on('error', () => res.destroy());
    out.end(body);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      seen.total++;
      const entry = { at: Date.now(), method: req.method ?? '', path: (req.url ?? '').split('?')[0]!, answered: 0 as number | 'dropped' };
      seen.log.push(entry);
      const body = Buffer.concat(chunks);
      const current = fault;
      const faulted = current?.kind === 'status' || current?.kind === 'drop' || (current?.kind === 'random' && Math.random() < current.fraction);
      if (faulted) seen.faulted++;
      if (current?.kind === 'drop') {
        entry.answered = 'dropped';
        req.socket.destroy();
        return;
      }
      if (current?.kind === 'status' || (current?.kind === 'random' && faulted)) {
        entry.answered = current.status;
        const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
        if (current.kind === 'status' && current.retryAfterSeconds !== undefined) headers['retry-after'] = String(current.retryAfterSeconds);
        res.writeHead(current.status, headers);
        res.end(JSON.stringify({ title: 'injected fault', status: current.status, detail: `fault proxy answered ${current.status}` }));
        return;
      }
      res.on('finish', () => (entry.answered = res.statusCode));
      if (current?.kind === 'delay') setTimeout(() => forward(req, res, body), current.ms);
      else forward(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    setFault(next) {
      fault = next;
    },
    setRewrite(next) {
      rewrite = next;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
