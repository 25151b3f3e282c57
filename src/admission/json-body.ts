// Reading and writing the JSON bodies of admission calls, lean on purpose: body-parser's
// content negotiation, charset decoding and inflation cost a measurable share of each call
// (bench/webhook.bench.ts) and the API server always sends plain UTF-8 application/json.

import type { IncomingMessage, ServerResponse } from 'node:http';

/** A request the webhook refuses before judging: 400, 413 or 503, with the sentence to show. */
export class BodyError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/**
 * Bytes of request bodies held at once by all requests that share it: one body stays under
 * its own limit, but a thousand slow clients each sending one just under it must not add up
 * to more memory than the process has.
 */
export interface BodyBudget {
  readonly limitBytes: number;
  heldBytes: number;
}

/**
 * The whole body, parsed. Over `limitBytes` it rejects with 413 at once: when the declared
 * Content-Length is too large before reading anything, else as soon as the bytes received
 * pass the limit. When the body would take the shared `budget` over its limit it rejects with
 * 503. Either way what was buffered is let go and nothing more is kept; the caller answers
 * and closes the connection instead of reading the rest.
 */
export function readJsonBody(req: IncomingMessage, limitBytes: number, budget?: BodyBudget): Promise<unknown> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length']) > limitBytes) {
      reject(new BodyError(413, `the request body is larger than ${limitBytes} bytes`));
      return;
    }
    let chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const settle = () => {
      settled = true;
      if (budget) budget.heldBytes -= received;
      chunks = [];
    };
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      if (received + chunk.length > limitBytes) {
        settle();
        reject(new BodyError(413, `the request body is larger than ${limitBytes} bytes`));
        return;
      }
      if (budget && budget.heldBytes + chunk.length > budget.limitBytes) {
        settle();
        reject(new BodyError(503, `the webhook holds ${budget.limitBytes} bytes of request bodies already; try again`));
        return;
      }
      received += chunk.length;
      if (budget) budget.heldBytes += chunk.length;
      chunks.push(chunk);
    });
    req.on('error', (error) => {
      if (settled) return;
      settle();
      reject(new BodyError(400, `the request body could not be read: ${error.message}`));
    });
    // A client that goes away mid-body: its bytes go back to the budget.
    req.on('close', () => {
      if (settled) return;
      settle();
      reject(new BodyError(400, 'the connection closed before the request body ended'));
    });
    req.on('end', () => {
      if (settled) return;
      const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, received).toString('utf8');
      settle();
      try {
        resolve(JSON.parse(text));
      } catch (error) {
        reject(new BodyError(400, `the request body is not JSON: ${(error as Error).message}`));
      }
    });
  });
}

/** One buffer with its length, so headers and body leave in a single TLS write. */
export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
}
