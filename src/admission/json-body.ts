// Reading and writing the JSON bodies of admission calls, lean on purpose: body-parser's
// content negotiation, charset decoding and inflation cost a measurable share of each call
// (bench/webhook.bench.ts) and the API server always sends plain UTF-8 application/json.

import type { IncomingMessage, ServerResponse } from 'node:http';

/** A request the webhook refuses before judging: 400 or 413, with the sentence to show. */
export class BodyError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/**
 * The whole body, parsed. Over `limitBytes` it rejects with 413, but only after the body has
 * been read to its end, so the client sees the answer instead of a reset connection.
 */
export function readJsonBody(req: IncomingMessage, limitBytes: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    let tooLarge = declared > limitBytes;
    const chunks: Buffer[] = [];
    let received = 0;
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > limitBytes) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('error', (error) => reject(new BodyError(400, `the request body could not be read: ${error.message}`)));
    req.on('end', () => {
      if (tooLarge) {
        reject(new BodyError(413, `the request body is larger than ${limitBytes} bytes`));
        return;
      }
      const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, received).toString('utf8');
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
