// A Service's virtual address as kube-proxy serves it, for rollout tests: each new
// connection goes to the next endpoint in turn; removing an endpoint only affects new
// connections (an established one stays with its pod, as its conntrack entry does). A
// connection to an endpoint that refuses it is closed before a byte is exchanged, which the
// client sees the way it sees a pod that refuses: the call fails, it is not retried.

import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { splice } from './tcp-proxy.ts';

export interface ServiceProxy {
  port: number;
  /** A pod became ready: new connections may go to it. */
  addEndpoint(port: number): void;
  /** The endpoint change reached kube-proxy: no new connection goes to it. */
  removeEndpoint(port: number): void;
  /** Connections sent to each endpoint port so far. */
  connections(port: number): number;
  /** Connections whose endpoint refused them. */
  readonly refused: number;
  close(): Promise<void>;
}

export async function startServiceProxy(): Promise<ServiceProxy> {
  const endpoints: number[] = [];
  const sent = new Map<number, number>();
  const sockets = new Set<Socket>();
  let next = 0;
  let refused = 0;
  const server = createServer((client) => {
    if (endpoints.length === 0) {
      refused++;
      return client.destroy();
    }
    const target = endpoints[next++ % endpoints.length]!;
    sent.set(target, (sent.get(target) ?? 0) + 1);
    const upstream = connect(target, '127.0.0.1');
    let connected = false;
    upstream.once('connect', () => (connected = true));
    splice(client, upstream, sockets, (side) => {
      if (side === 'upstream' && !connected) refused++;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    addEndpoint(port) {
      if (!endpoints.includes(port)) endpoints.push(port);
    },
    removeEndpoint(port) {
      const at = endpoints.indexOf(port);
      if (at >= 0) endpoints.splice(at, 1);
    },
    connections: (port) => sent.get(port) ?? 0,
    get refused() {
      return refused;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
