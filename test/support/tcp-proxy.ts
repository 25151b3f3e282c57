// A TCP proxy for fault injection: forwards to a target until cut(), which drops every
// connection and refuses new ones (a network partition), until restore().

import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpProxy {
  port: number;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

/**
 * Joins a client and an upstream connection, both tracked in `sockets` while open; an error
 * on either closes both (`onError` is told which side failed first).
 */
export function splice(client: Socket, upstream: Socket, sockets: Set<Socket>, onError?: (side: 'client' | 'upstream') => void): void {
  let failed = false;
  for (const socket of [client, upstream]) {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {
      if (!failed) onError?.(socket === client ? 'client' : 'upstream');
      failed = true;
      client.destroy();
      upstream.destroy();
    });
  }
  client.pipe(upstream).pipe(client);
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let cut = false;
  const server = createServer((client) => {
    if (cut) return client.destroy();
    splice(client, connect(targetPort, targetHost), sockets);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    cut() {
      cut = true;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      cut = false;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
