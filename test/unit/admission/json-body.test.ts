// Reading an admission body: JSON in one or many chunks, the 400 and 413 answers, the 413
// as soon as the limit is passed (a client must not keep us reading), and the budget that
// all bodies in flight share.

import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BodyError, readJsonBody, type BodyBudget } from '../../../src/admission/json-body.ts';

function requestOf(chunks: (string | Buffer)[], headers: Record<string, string> = {}): IncomingMessage & { drained: () => boolean } {
  let consumed = 0;
  const stream = Readable.from(
    (function* () {
      for (const chunk of chunks) {
        consumed++;
        yield Buffer.from(chunk);
      }
    })(),
  ) as unknown as IncomingMessage & { drained: () => boolean };
  Object.assign(stream, { headers, drained: () => consumed === chunks.length });
  return stream;
}

describe('readJsonBody', () => {
  it('parses a body split over chunks, even inside a multi-byte character', async () => {
    const text = Buffer.from(JSON.stringify({ name: 'café', list: [1, 2] }));
    const cut = text.indexOf(0xc3) + 1;
    expect(await readJsonBody(requestOf([text.subarray(0, cut), text.subarray(cut)]), 1024)).toEqual({ name: 'café', list: [1, 2] });
  });

  it.each([
    ['an unterminated object', ['{"a": ']],
    ['YAML', ['a: b\n']],
    ['an empty body', []],
  ])('rejects %s with 400', async (_name, chunks) => {
    const error = await readJsonBody(requestOf(chunks), 1024).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BodyError);
    expect(error).toMatchObject({ status: 400, message: expect.stringContaining('the request body is not JSON') });
  });

  it('rejects a declared length over the limit with 413 before reading any of the body', async () => {
    const request = requestOf(['{"a":', '"', 'x'.repeat(50), '"}'], { 'content-length': '2000' });
    const error = await readJsonBody(request, 1000).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 413, message: 'the request body is larger than 1000 bytes' });
    expect(request.readableDidRead).toBe(false);
  });

  it('rejects a body that grows over the limit with 413 without waiting for its end', async () => {
    // A chunked body that never ends: only the limit can settle the read.
    const endless = Readable.from(
      (async function* () {
        yield Buffer.from('{"a":"');
        for (;;) {
          yield Buffer.from('x'.repeat(600));
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      })(),
    ) as unknown as IncomingMessage;
    Object.assign(endless, { headers: {} });
    await expect(readJsonBody(endless, 1000)).rejects.toMatchObject({ status: 413 });
    endless.destroy();
  });

  it('counts the bytes it holds against a shared budget and gives them back when done', async () => {
    const budget: BodyBudget = { limitBytes: 1000, heldBytes: 0 };
    const body = JSON.stringify({ a: 'x'.repeat(300) });
    expect(await readJsonBody(requestOf([body]), 1000, budget)).toEqual({ a: 'x'.repeat(300) });
    expect(budget.heldBytes).toBe(0);
    await expect(readJsonBody(requestOf(['{"a":', '"', 'x'.repeat(1200), '"}']), 1000, budget)).rejects.toMatchObject({ status: 413 });
    expect(budget.heldBytes).toBe(0);
    await expect(readJsonBody(requestOf(['{"a": ']), 1000, budget)).rejects.toMatchObject({ status: 400 });
    expect(budget.heldBytes).toBe(0);
  });

  it('rejects with 503 a body that would take the shared budget over its limit', async () => {
    // Others hold 900 of 1000 bytes.
    const budget: BodyBudget = { limitBytes: 1000, heldBytes: 900 };
    const error = await readJsonBody(requestOf(['{"a":"', 'x'.repeat(200), '"}']), 1000, budget).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BodyError);
    expect(error).toMatchObject({ status: 503, message: 'the webhook holds 1000 bytes of request bodies already; try again' });
    expect(budget.heldBytes).toBe(900);
  });

  it('gives its bytes back when the client goes away mid-body', async () => {
    const budget: BodyBudget = { limitBytes: 1000, heldBytes: 0 };
    const stalled = new Readable({ read() {} }) as unknown as IncomingMessage;
    Object.assign(stalled, { headers: {} });
    stalled.push(Buffer.from('{"a":"xxxxxxxxxx'));
    const read = readJsonBody(stalled, 1000, budget).catch((e: unknown) => e);
    await expect.poll(() => budget.heldBytes).toBe(16);
    stalled.destroy();
    expect(await read).toMatchObject({ status: 400, message: 'the connection closed before the request body ended' });
    expect(budget.heldBytes).toBe(0);
  });

  it('accepts a body of exactly the limit', async () => {
    const body = JSON.stringify({ a: 'x'.repeat(100) });
    expect(await readJsonBody(requestOf([body], { 'content-length': String(body.length) }), body.length)).toEqual({ a: 'x'.repeat(100) });
  });
});
