// Just enough of kube-apiserver over plain HTTP for ClusterCache unit tests: discovery
// documents, one-page lists and watches that stay open without events, plus faults that
// answer a status for a path prefix (ending the watches under it). What a real API server
// does is covered by test/e2e/cluster-cache*.test.ts.

import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from '../../../src/kubernetes/objects.ts';

export interface FakeApiServer {
  url: string;
  kubeConfig(): KubeConfig;
  /** Serves `resources` in the group version `path` (e.g. `/apis/example.com/v1`); later calls replace. */
  serve(path: string, resources: readonly string[]): void;
  /** The objects a list of the collection `path` returns. */
  setObjects(path: string, objects: readonly KubeObject[]): void;
  /** Answers `status` to `path` and everything under it; `exact`: that path only. Ends the watches it matches. */
  fail(path: string, status: number, options?: { exact?: boolean }): void;
  heal(): void;
  /** Requests seen, as `path` or `path?watch`. */
  readonly requests: string[];
  close(): Promise<void>;
}

interface Fault {
  path: string;
  status: number;
  exact: boolean;
}

export async function startFakeApiServer(): Promise<FakeApiServer> {
  const documents = new Map<string, readonly string[]>();
  const collections = new Map<string, readonly KubeObject[]>();
  const faults: Fault[] = [];
  const watches = new Set<{ path: string; res: ServerResponse }>();
  const requests: string[] = [];
  const matches = (fault: Fault, path: string) => path === fault.path || (!fault.exact && path.startsWith(`${fault.path}/`));
  const status = (res: ServerResponse, code: number) => {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: `fake ${code}`, reason: code === 404 ? 'NotFound' : 'InternalError', code }));
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname;
    const watching = url.searchParams.get('watch') === 'true';
    requests.push(watching ? `${path}?watch` : path);
    const fault = faults.find((candidate) => matches(candidate, path));
    if (fault) return status(res, fault.status);
    const document = documents.get(path);
    if (document) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'APIResourceList', resources: document.map((name) => ({ name })) }));
      return;
    }
    const slash = path.lastIndexOf('/');
    const plural = path.slice(slash + 1);
    if (!documents.get(path.slice(0, slash))?.includes(plural)) return status(res, 404);
    res.writeHead(200, { 'content-type': 'application/json' });
    if (watching) {
      // Open and quiet; flushHeaders so the client sees the 200 now.
      res.flushHeaders();
      const watch = { path, res };
      watches.add(watch);
      res.on('close', () => watches.delete(watch));
      return;
    }
    res.end(JSON.stringify({ kind: 'List', metadata: { resourceVersion: '1' }, items: collections.get(path) ?? [] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    requests,
    kubeConfig() {
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromOptions({
        // client-node refuses plain HTTP unless TLS verification is off.
        clusters: [{ name: 'fake', server: url, skipTLSVerify: true }],
        users: [{ name: 'u', token: 't' }],
        contexts: [{ name: 'fake', cluster: 'fake', user: 'u' }],
        currentContext: 'fake',
      });
      return kubeConfig;
    },
    serve(path, resources) {
      documents.set(path, resources);
    },
    setObjects(path, objects) {
      collections.set(path, structuredClone(objects));
    },
    fail(path, code, options = {}) {
      const fault = { path, status: code, exact: options.exact ?? false };
      faults.push(fault);
      for (const watch of [...watches]) {
        if (!matches(fault, watch.path)) continue;
        watches.delete(watch);
        watch.res.end();
      }
    },
    heal() {
      faults.length = 0;
    },
    async close() {
      for (const watch of watches) watch.res.end();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
