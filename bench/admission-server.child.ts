// A server process for bench/webhook.bench.ts, so the load generator never shares the
// server's event loop. `webhook` runs the real admission server with an empty cluster;
// `floor` is a bare node:https server answering a fixed AdmissionReview: what HTTPS,
// keep-alive and a 4 KB body cost before any work of ours. Two floors more split the gap:
// `floor-answer` answers the exact bytes the webhook's /validate answers for the benchmark's
// review, and `floor-parse` also JSON.parses every body, as any webhook must.
// Usage: node bench/admission-server.child.ts webhook|floor|floor-answer|floor-parse CERT_FILE KEY_FILE
// Prints one JSON line {"port": N} once listening; stops on SIGTERM.

import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { admitForValidation, parseAdmissionReview } from '../src/admission/review.ts';
import { createAdmissionServer } from '../src/admission/server.ts';
import { EMPTY_CLUSTER } from '../src/cluster/lookups.ts';
import { DEFAULT_CONTRACT_OPTIONS } from '../src/contract/types.ts';
import { createLogger } from '../src/observability/logger.ts';

const MODES = ['webhook', 'floor', 'floor-answer', 'floor-parse'];
const [mode, certFile, keyFile] = process.argv.slice(2);
if (!MODES.includes(mode ?? '') || !certFile || !keyFile) {
  process.stderr.write(`usage: admission-server.child.ts ${MODES.join('|')} CERT_FILE KEY_FILE\n`);
  process.exit(2);
}
const FIXTURE = new URL('../test/fixtures/admission/httproute-create-allowed.json', import.meta.url);

function announce(address: AddressInfo): void {
  process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
}

if (mode === 'webhook') {
  const context = { lookups: EMPTY_CLUSTER, options: DEFAULT_CONTRACT_OPTIONS };
  const admission = await createAdmissionServer({
    port: 0,
    host: '127.0.0.1',
    certFile,
    keyFile,
    contextProvider: () => context,
    // Allowed answers are logged at debug and denials at info; this review is allowed.
    logger: createLogger({ level: 'warn', name: 'webhook', destination: process.stderr }),
  });
  announce(await admission.listen());
  process.once('SIGTERM', () => void admission.shutdown().then(() => process.exit(0)));
} else {
  const context = { lookups: EMPTY_CLUSTER, options: DEFAULT_CONTRACT_OPTIONS };
  const parsed = parseAdmissionReview(JSON.parse(readFileSync(FIXTURE, 'utf8')));
  if (!parsed.ok) throw new Error(parsed.problem);
  const answer = Buffer.from(
    JSON.stringify(
      mode === 'floor'
        ? { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: '0df28fbd-5f5f-4c3f-9a3b-6f1a2f3c4d01', allowed: true } }
        : admitForValidation(parsed.request, context).review,
    ),
  );
  const parse = mode === 'floor-parse';
  const server = createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile), keepAlive: true, keepAliveTimeout: 95_000 }, (req, res) => {
    // Read the body like a real handler must before answering on a keep-alive connection.
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      if (parse) chunks.push(chunk);
    });
    req.on('end', () => {
      // As json-body.ts reads it; the value is dropped, but JSON.parse cannot be skipped (it may throw).
      if (parse) JSON.parse(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': answer.length });
      res.end(answer);
    });
  });
  server.listen(0, '127.0.0.1', () => announce(server.address() as AddressInfo));
  process.once('SIGTERM', () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
