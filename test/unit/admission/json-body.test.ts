// Reading an admission body: JSON in one or many chunks, the 400 and 413 answers, and the
// 413 only after the whole body was read (so the client gets the answer, not a reset).

import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BodyError, readJsonBody } from '../../../src/admission/json-body.ts';

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

  it('rejects a declared length over the limit with 413, after reading the body to its end', async () => {
    const request = requestOf(['{"a":', '"', 'x'.repeat(50), '"}'], { 'content-length': '2000' });
    const error = await readJsonBody(request, 1000).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 413, message: 'the request body is larger than 1000 bytes' });
    expect(request.drained()).toBe(true);
  });

  it('rejects a chunked body that grows over the limit with 413', async () => {
    const request = requestOf(['{"a":"', 'x'.repeat(600), 'x'.repeat(600), '"}']);
    await expect(readJsonBody(request, 1000)).rejects.toMatchObject({ status: 413 });
    expect(request.drained()).toBe(true);
  });

  it('accepts a body of exactly the limit', async () => {
    const body = JSON.stringify({ a: 'x'.repeat(100) });
    expect(await readJsonBody(requestOf([body], { 'content-length': String(body.length) }), body.length)).toEqual({ a: 'x'.repeat(100) });
  });
});
