// An HTTPS proxy in front of a real kube-apiserver that answers chosen requests itself, at
// the HTTP level: e.g. 404 for everything under /apis/gateway.networking.k8s.io, as the API
// server does for custom resources for a moment after a restart (kubernetes#71218,
// #115241). A TCP proxy cannot do that through TLS, so this one terminates TLS with a
// throwaway certificate (kubeConfig() trusts it) and forwards the rest, streamed (watches
// too), to the API server over TLS verified by the API server's own CA.
//
//   const proxy = await startApiServerFaultProxy(cp);
//   const cache = new ClusterCache({ kubeConfig: proxy.kubeConfig() });
//   proxy.fail('/apis/gateway.networking.k8s.io', 404);   // ends watches under it too
//   proxy.heal();

import type { IncomingMessage, ServerResponse } from 'node:http';
import { Agent, createServer, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { createThrowawayCA } from './throwaway-pki.ts';

export interface ApiServerTarget {
  /** https://127.0.0.1:<port> */
  server: string;
  /** Verifies the API server's serving certificate. */
  caPem: string;
  /** Bearer token the proxy's kubeconfig carries (passed through to the API server). */
  token: string;
}

export interface ApiServerFaultProxy {
  /** https://127.0.0.1:<port> */
  url: string;
  /** A kubeconfig for the proxy: its CA and the target's token. */
  kubeConfig(): KubeConfig;
  /**
   * From now on answers `status` with a Kubernetes Status to every request whose path is
   * `prefix` or lies under it, and ends the proxied requests still open under it (watches),
   * as a restarting API server would.
   */
  fail(prefix: string, status?: number): void;
  /** Stops the fault for `prefix`, or every fault when omitted. */
  heal(prefix?: string): void;
  /** Requests answered by a fault, as `METHOD path` (no query). */
  readonly faulted: readonly string[];
  close(): Promise<void>;
}

const REASONS: Record<number, string> = { 404: 'NotFound', 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable' };

export async function startApiServerFaultProxy(target: ApiServerTarget): Promise<ApiServerFaultProxy> {
  const upstream = new URL(target.server);
  const ca = createThrowawayCA('apiserver fault proxy CA');
  const serving = ca.issue();
  const agent = new Agent({ ca: target.caPem, keepAlive: true });
  const faults = new Map<string, number>();
  const faulted: string[] = [];
  const open = new Set<{ path: string; end: () => void; abort: () => void }>();
  const under = (path: string, prefix: string) => path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`);

  const server = createServer({ cert: serving.certPem, key: serving.keyPem }, (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const fault = [...faults].find(([prefix]) => under(path, prefix));
    if (fault) {
      const [, status] = fault;
      faulted.push(`${req.method} ${path}`);
      req.resume();
      const reason = REASONS[status] ?? 'Unknown';
      const message = status === 404 ? 'the server could not find the requested resource' : `injected fault ${status}`;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code: status }));
      return;
    }
    let answer: IncomingMessage | undefined;
    const out = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
        agent,
      },
      (received) => {
        answer = received;
        res.writeHead(received.statusCode ?? 502, received.headers);
        received.pipe(res);
      },
    );
    const entry = {
      path,
      abort: () => out.destroy(),
      // Ends the answer cleanly (a watch sees the stream close, not an error), then the upstream request.
      end: () => {
        answer?.unpipe(res);
        if (res.headersSent) res.end(() => out.destroy());
        else res.destroy();
      },
    };
    open.add(entry);
    res.on('close', () => {
      open.delete(entry);
      out.destroy();
    });
    out.on('error', () => {
      if (!res.writableEnded) res.destroy();
    });
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    faulted,
    kubeConfig() {
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromOptions({
        clusters: [{ name: 'proxy', server: url, caData: Buffer.from(ca.certPem).toString('base64') }],
        users: [{ name: 'admin', token: target.token }],
        contexts: [{ name: 'proxy', cluster: 'proxy', user: 'admin' }],
        currentContext: 'proxy',
      });
      return kubeConfig;
    },
    fail(prefix, status = 404) {
      faults.set(prefix, status);
      // An open watch would never see the fault: end it cleanly, as a server going away does.
      for (const entry of [...open]) {
        if (!under(entry.path, prefix)) continue;
        open.delete(entry);
        entry.end();
      }
    },
    heal(prefix) {
      if (prefix === undefined) faults.clear();
      else faults.delete(prefix);
    },
    async close() {
      for (const entry of open) entry.abort();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      agent.destroy();
    },
  };
}
