// A small HTTPS client for tests that talk to the webhook the way the API server does: over
// TLS with a trusted CA, with keep-alive, posting AdmissionReviews.

import { Agent, request } from 'node:https';
import type { TLSSocket } from 'node:tls';

export interface HttpsAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: any;
  /** Serial number (lower-case hex) of the certificate the server presented. */
  serialNumber: string;
}

export interface HttpsClient {
  get(path: string): Promise<HttpsAnswer>;
  post(path: string, body: string | Buffer | object, headers?: Record<string, string>): Promise<HttpsAnswer>;
  /** A request on a fresh connection, to see the certificate the server serves now. */
  freshGet(path: string): Promise<HttpsAnswer>;
  close(): void;
}

export function httpsClient(port: number, ca: string): HttpsClient {
  const agent = new Agent({ ca, keepAlive: true, maxSockets: 16 });

  function send(method: string, path: string, body: Buffer | undefined, headers: Record<string, string>, fresh: boolean): Promise<HttpsAnswer> {
    return new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, method, path, ca, agent: fresh ? false : agent, headers: body ? { 'content-length': String(body.length), ...headers } : headers },
        (res) => {
          const serialNumber = ((res.socket as TLSSocket).getPeerCertificate?.().serialNumber ?? '').toLowerCase();
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json, serialNumber });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  return {
    get: (path) => send('GET', path, undefined, {}, false),
    freshGet: (path) => send('GET', path, undefined, {}, true),
    post(path, body, headers = {}) {
      const bytes = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
      return send('POST', path, bytes, { 'content-type': 'application/json', ...headers }, false);
    },
    close: () => agent.destroy(),
  };
}
