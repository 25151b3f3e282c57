// Loading and following the serving certificate: usable pairs only, one report per
// rotation, one report per distinct failure, nothing after close.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintOf, loadKeyPair, watchKeyPair, type KeyPair } from '../../../src/admission/serving-certificate.ts';
import { createThrowawayCA, type ServingCertificate } from '../../support/throwaway-pki.ts';

let dir: string;
let first: ServingCertificate;
let second: ServingCertificate;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'serving-certificate-'));
  const ca = createThrowawayCA();
  first = ca.issue();
  second = ca.issue();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writePair(name: string, cert: string, key: string) {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  await writeFile(certFile, cert);
  await writeFile(keyFile, key);
  return { certFile, keyFile };
}

describe('loadKeyPair', () => {
  it('loads a matching pair', async () => {
    const files = await writePair('good', first.certPem, first.keyPem);
    expect(await loadKeyPair(files)).toEqual({ cert: first.certPem, key: first.keyPem });
  });

  it.each([
    ['a missing certificate', async () => ({ certFile: join(dir, 'none.crt'), keyFile: join(dir, 'none.key') }), /^cannot read TLS certificate .*none\.crt: ENOENT/],
    ['a missing key', async () => ({ ...(await writePair('nokey', first.certPem, first.keyPem)), keyFile: join(dir, 'none.key') }), /^cannot read TLS key .*none\.key: ENOENT/],
    ['a key of another certificate', () => writePair('mismatch', first.certPem, second.keyPem), /do not form a usable pair/],
    ['garbage', () => writePair('garbage', 'not a certificate', 'not a key'), /do not form a usable pair/],
  ])('rejects %s', async (_name, files, message) => {
    await expect(loadKeyPair(await files())).rejects.toThrow(message);
  });
});

describe('watchKeyPair', () => {
  it('reports a rotation once, a bad pair once, and nothing after close', async () => {
    const files = await writePair('watched', first.certPem, first.keyPem);
    const rotated: KeyPair[] = [];
    const rejected: Error[] = [];
    const watch = watchKeyPair({ ...files, current: { cert: first.certPem, key: first.keyPem }, pollIntervalMs: 60_000, onRotated: (pair) => rotated.push(pair), onRejected: (error) => rejected.push(error) });
    try {
      await watch.check();
      expect(rotated).toEqual([]);

      await writePair('watched', second.certPem, second.keyPem);
      await watch.check();
      await watch.check();
      expect(rotated.map(fingerprintOf)).toEqual([fingerprintOf({ cert: second.certPem, key: second.keyPem })]);

      await writePair('watched', first.certPem, second.keyPem);
      await watch.check();
      await watch.check();
      expect(rejected).toHaveLength(1);
      expect(rotated).toHaveLength(1);
    } finally {
      watch.close();
    }
    await writePair('watched', first.certPem, first.keyPem);
    await watch.check();
    expect(rotated).toHaveLength(1);
  });

  it('notices a change through the directory watch without being asked', async () => {
    const files = await writePair('evented', first.certPem, first.keyPem);
    const rotated: KeyPair[] = [];
    const watch = watchKeyPair({ ...files, current: { cert: first.certPem, key: first.keyPem }, pollIntervalMs: 60_000, onRotated: (pair) => rotated.push(pair), onRejected: () => {} });
    try {
      await writePair('evented', second.certPem, second.keyPem);
      const deadline = Date.now() + 5000;
      while (rotated.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
      expect(rotated).toHaveLength(1);
    } finally {
      watch.close();
    }
  });
});
