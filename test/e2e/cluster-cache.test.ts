// ClusterCache against a real kube-apiserver + etcd (test/support/control-plane.ts): initial
// sync, live changes, kinds whose CRD is absent or arrives later, recovery from a cut
// connection (a TCP proxy in front of the API server that we break on purpose; the API
// server stays real), periodic relists, and a stop() that lets the process exit.

import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterCache, type CacheChange, type KindStatus } from '../../src/kubernetes/cluster-cache.ts';
import { repoRoot, startControlPlane, type ControlPlane } from '../support/control-plane.ts';

const P = 'toolhive.stacklok.dev/';

const initialObjects = `
apiVersion: v1
kind: Namespace
metadata:
  name: team-a
  labels: { team: a }
---
apiVersion: v1
kind: Namespace
metadata:
  name: team-b
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: example
spec:
  controllerName: example.com/gateway
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: public
  namespace: team-a
spec:
  gatewayClassName: example
  listeners:
  - name: http
    protocol: HTTP
    port: 80
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: github
  namespace: team-a
spec:
  parentRefs:
  - name: public
  rules:
  - backendRefs:
    - name: mcp-github-proxy
      port: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: mcp-github-proxy
  namespace: team-a
spec:
  ports:
  - port: 8080
---
apiVersion: toolhive.stacklok.dev/v1beta1
kind: MCPServer
metadata:
  name: github
  namespace: team-a
  annotations:
    ${P}registry-export: "true"
spec:
  image: ghcr.io/github/github-mcp-server:latest
  transport: streamable-http
---
apiVersion: toolhive.stacklok.dev/v1beta1
kind: MCPServer
metadata:
  name: doomed
  namespace: team-b
spec:
  image: example.com/doomed:1
`;

function mcpServer(name: string, namespace: string, image = 'example.com/server:1'): string {
  return `
apiVersion: toolhive.stacklok.dev/v1beta1
kind: MCPServer
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  image: ${image}
`;
}

// A stand-in for the Gateway API's ReferenceGrant CRD (not installed by the harness): only
// its served group, version and names matter to the cache.
const referenceGrantCrd = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: referencegrants.gateway.networking.k8s.io
  annotations:
    # Required for CRDs in *.k8s.io groups; the real Gateway API CRDs carry the same.
    api-approved.kubernetes.io: https://github.com/kubernetes-sigs/gateway-api/pull/2466
spec:
  group: gateway.networking.k8s.io
  names: { kind: ReferenceGrant, listKind: ReferenceGrantList, plural: referencegrants, singular: referencegrant }
  scope: Namespaced
  versions:
  - name: v1beta1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
`;

/** Polls `probe` until it returns something truthy; fails with `what` after the deadline. */
async function eventually<T>(what: string, probe: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function kindStatus(cache: ClusterCache, kind: string): KindStatus {
  const status = cache.status().find((s) => s.kind === kind);
  if (!status) throw new Error(`no status for ${kind}`);
  return status;
}

/**
 * A TCP proxy in front of the API server that can break connections on purpose. TLS runs
 * end to end through it (the serving certificate is for 127.0.0.1, whatever the port).
 */
interface FaultProxy {
  url: string;
  /** Resets every open connection (the client sees ECONNRESET). */
  cut(): void;
  /**
   * Stops all traffic on the open connections without closing them (a half-dead network
   * path: no error, no FIN, just silence). New connections work.
   */
  freeze(): void;
  /** While true, every new connection is reset at once. */
  refuse(on: boolean): void;
  /** Connections accepted while not refusing. */
  accepted(): number;
  close(): Promise<void>;
}

async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const open = new Set<Socket>();
  const pairs = new Set<[Socket, Socket]>();
  let refusing = false;
  let accepted = 0;
  const server: Server = createServer((client) => {
    if (refusing) {
      client.resetAndDestroy();
      return;
    }
    accepted++;
    const backend = connect(Number(upstream.port), upstream.hostname);
    const pair: [Socket, Socket] = [client, backend];
    pairs.add(pair);
    for (const socket of pair) {
      open.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        open.delete(socket);
        pairs.delete(pair);
        for (const other of pair) if (!other.destroyed) other.destroy();
      });
    }
    client.pipe(backend).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    cut: () => {
      for (const socket of [...open]) if (!socket.destroyed) socket.resetAndDestroy();
    },
    freeze: () => {
      for (const [client, backend] of pairs) {
        client.unpipe(backend);
        backend.unpipe(client);
        client.pause();
        backend.pause();
      }
      pairs.clear();
    },
    refuse: (on) => {
      refusing = on;
    },
    accepted: () => accepted,
    close: async () => {
      for (const socket of [...open]) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The control plane's kubeconfig, pointed at another server URL (the proxy). */
function kubeConfigVia(cp: ControlPlane, server: string): KubeConfig {
  const text = readFileSync(cp.kubeconfigPath, 'utf8').replace(cp.server, server);
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(text);
  return kubeConfig;
}

describe('ClusterCache against a real kube-apiserver', () => {
  let cp: ControlPlane;
  let proxy: FaultProxy;
  let cache: ClusterCache;
  const changes: CacheChange[] = [];

  async function kubectl(args: string[], input?: string): Promise<string> {
    const result = await cp.kubectl(args, input === undefined ? {} : { input });
    if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed:\n${result.stderr}`);
    return result.stdout;
  }

  beforeAll(async () => {
    cp = await startControlPlane();
    await kubectl(['apply', '--server-side', '-f', '-'], initialObjects);
    proxy = await startFaultProxy(cp.server);
    cache = new ClusterCache({
      kubeConfig: kubeConfigVia(cp, proxy.url),
      // Short intervals so discovery and recovery happen within a test's time.
      discoveryIntervalMs: 500,
      backoff: { initialMs: 100, maxMs: 1_000 },
      requestTimeoutMs: 10_000,
      // A removed CRD's kind is emptied after this (cluster-cache-absence.test.ts covers the grace itself).
      absentGraceMs: 1_000,
    });
    cache.onChange((change) => changes.push(change));
    cache.start();
    await cache.waitForSync(30_000);
  });

  afterAll(async () => {
    await cache?.stop();
    await proxy?.close();
    await cp?.stop();
  });

  it('sees the objects that existed before it started, without managedFields', () => {
    expect(cache.isSynced()).toBe(true);
    const gateway = cache.get('Gateway', 'team-a', 'public');
    expect(gateway?.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(gateway?.metadata?.uid).toBeTruthy();
    expect(cache.get('HTTPRoute', 'team-a', 'github')?.kind).toBe('HTTPRoute');
    expect(cache.get('GatewayClass', 'any-namespace', 'example')?.kind).toBe('GatewayClass');

    const server = cache.get('MCPServer', 'team-a', 'github');
    expect(server?.apiVersion).toBe('toolhive.stacklok.dev/v1beta1');
    expect(server?.metadata?.annotations?.[`${P}registry-export`]).toBe('true');
    expect(cache.list('MCPServer').map((o) => `${o.metadata?.namespace}/${o.metadata?.name}`).sort()).toEqual([
      'team-a/github',
      'team-b/doomed',
    ]);
    expect(cache.list('MCPServer', 'team-b')).toHaveLength(1);

    // Built-in list items come without kind/apiVersion from the API server; the cache fills them in.
    const namespace = cache.get('Namespace', 'ignored', 'team-a');
    expect(namespace).toMatchObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { labels: { team: 'a' } } });
    expect(cache.list('Namespace').map((o) => o.metadata?.name)).toEqual(expect.arrayContaining(['default', 'team-a', 'team-b']));
    expect(cache.get('Service', 'team-a', 'mcp-github-proxy')?.kind).toBe('Service');

    // Server-side apply wrote managedFields on every object; none is kept.
    for (const kind of ['Gateway', 'HTTPRoute', 'MCPServer', 'Namespace', 'Service']) {
      for (const object of cache.list(kind)) expect(object.metadata).not.toHaveProperty('managedFields');
    }

    expect(kindStatus(cache, 'MCPServer')).toMatchObject({ version: 'v1beta1', served: true, synced: true, objects: 2 });
    expect(kindStatus(cache, 'MCPServer').lastSyncTime).toBeGreaterThan(0);
  });

  it('treats ReferenceGrant, whose CRD is not installed, as empty without holding back readiness', () => {
    expect(kindStatus(cache, 'ReferenceGrant')).toMatchObject({ served: false, synced: false, objects: 0, version: undefined });
    expect(cache.list('ReferenceGrant')).toEqual([]);
    expect(cache.get('ReferenceGrant', 'team-a', 'anything')).toBeUndefined();
    expect(cache.isSynced()).toBe(true);
  });

  it('reflects creates, updates and deletes, bumping the generation and telling listeners', async () => {
    const start = cache.generation;
    changes.length = 0;

    await kubectl(['apply', '--server-side', '-f', '-'], mcpServer('fresh', 'team-b'));
    const created = await eventually('MCPServer team-b/fresh in the cache', () => cache.get('MCPServer', 'team-b', 'fresh'));
    expect(created.metadata).not.toHaveProperty('managedFields');
    const afterCreate = cache.generation;
    expect(afterCreate).toBeGreaterThan(start);

    await kubectl(['annotate', 'mcpserver', 'fresh', '-n', 'team-b', `${P}registry-description=Fresh server`]);
    await eventually(
      'the annotation on team-b/fresh',
      () => cache.get('MCPServer', 'team-b', 'fresh')?.metadata?.annotations?.[`${P}registry-description`] === 'Fresh server',
    );
    expect(cache.generation).toBeGreaterThan(afterCreate);

    await kubectl(['delete', 'mcpserver', 'fresh', '-n', 'team-b', '--wait=true']);
    await eventually('team-b/fresh gone', () => !cache.get('MCPServer', 'team-b', 'fresh'));
    expect(cache.list('MCPServer', 'team-b').map((o) => o.metadata?.name)).toEqual(['doomed']);

    const ours = changes.filter((c) => c.kind === 'MCPServer' && c.object.metadata?.name === 'fresh').map((c) => c.type);
    expect(ours[0]).toBe('added');
    expect(ours).toContain('updated');
    expect(ours.at(-1)).toBe('deleted');
    // Generations are strictly increasing, one per change.
    const generations = changes.map((c) => c.generation);
    expect(generations).toEqual([...generations].sort((a, b) => a - b));
    expect(new Set(generations).size).toBe(generations.length);
    expect(kindStatus(cache, 'MCPServer').lastEventTime).toBeGreaterThan(Date.now() - 15_000);
  });

  it('picks up a CRD installed later, and empties the kind when the CRD goes away', async () => {
    await kubectl(['apply', '--server-side', '-f', '-'], referenceGrantCrd);
    await kubectl(['wait', '--for=condition=Established', '--timeout=30s', 'crd/referencegrants.gateway.networking.k8s.io']);
    await kubectl(
      ['apply', '--server-side', '-f', '-'],
      `
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata:
  name: allow-team-a
  namespace: team-b
spec:
  from: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: team-a }]
  to: [{ group: "", kind: Service }]
`,
    );
    const grant = await eventually('ReferenceGrant team-b/allow-team-a', () => cache.get('ReferenceGrant', 'team-b', 'allow-team-a'));
    expect(grant.apiVersion).toBe('gateway.networking.k8s.io/v1beta1');
    expect(kindStatus(cache, 'ReferenceGrant')).toMatchObject({ served: true, synced: true, version: 'v1beta1' });
    expect(cache.isSynced()).toBe(true);

    await kubectl(['delete', 'crd', 'referencegrants.gateway.networking.k8s.io', '--wait=true', '--timeout=60s']);
    await eventually(
      'ReferenceGrant no longer served, after the absence grace',
      () => kindStatus(cache, 'ReferenceGrant').served === false && kindStatus(cache, 'ReferenceGrant').absentSince === undefined,
      20_000,
    );
    expect(cache.list('ReferenceGrant')).toEqual([]);
    expect(cache.uncertainKinds().has('ReferenceGrant')).toBe(false);
    expect(cache.isSynced()).toBe(true);
  }, 60_000);

  it('watches the most preferred served version and moves to it when it becomes served', async () => {
    const crd = (versions: string[]) => `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: { kind: Widget, listKind: WidgetList, plural: widgets, singular: widget }
  scope: Namespaced
  versions:
${versions
  .map(
    (version, index) => `  - name: ${version}
    served: true
    storage: ${index === 0}
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true`,
  )
  .join('\n')}
`;
    await kubectl(['apply', '--server-side', '-f', '-'], crd(['v1alpha1']));
    await kubectl(['wait', '--for=condition=Established', '--timeout=30s', 'crd/widgets.example.com']);
    await kubectl(['apply', '--server-side', '-f', '-'], 'apiVersion: example.com/v1alpha1\nkind: Widget\nmetadata: { name: w1, namespace: team-a }\n');
    const widgets = new ClusterCache({
      kubeconfigPath: cp.kubeconfigPath,
      kinds: [{ kind: 'Widget', group: 'example.com', versions: ['v1beta1', 'v1alpha1'], plural: 'widgets' }],
      discoveryIntervalMs: 300,
    });
    try {
      widgets.start();
      await widgets.waitForSync(30_000);
      expect(kindStatus(widgets, 'Widget').version).toBe('v1alpha1');
      expect(widgets.get('Widget', 'team-a', 'w1')?.apiVersion).toBe('example.com/v1alpha1');

      await kubectl(['apply', '--server-side', '-f', '-'], crd(['v1alpha1', 'v1beta1']));
      await eventually('Widget watched in v1beta1', () => kindStatus(widgets, 'Widget').version === 'v1beta1');
      await eventually('w1 re-listed as v1beta1', () => widgets.get('Widget', 'team-a', 'w1')?.apiVersion === 'example.com/v1beta1');
      expect(widgets.isSynced()).toBe(true);
      expect(kindStatus(widgets, 'Widget').failures).toBe(0);
    } finally {
      await widgets.stop();
      await kubectl(['delete', 'crd', 'widgets.example.com', '--wait=false']);
    }
  });

  it('restarts informers whose connection was cut and catches up on what changed meanwhile', async () => {
    const before = kindStatus(cache, 'MCPServer');

    proxy.refuse(true);
    proxy.cut();
    // Every watch died with a connection error; reconnects are refused, so ListWatch gives
    // up and only the supervisor can bring the informers back.
    await eventually('MCPServer informer failures while the API server is unreachable', () => kindStatus(cache, 'MCPServer').failures >= before.failures + 2);
    await kubectl(['apply', '--server-side', '-f', '-'], mcpServer('during-outage', 'team-a'));
    await kubectl(['delete', 'mcpserver', 'doomed', '-n', 'team-b', '--wait=true']);
    // The last complete snapshot keeps answering (and /readyz stays up) while disconnected.
    expect(cache.isSynced()).toBe(true);
    expect(cache.get('MCPServer', 'team-b', 'doomed')).toBeDefined();
    expect(kindStatus(cache, 'MCPServer').lastError).toBeTruthy();
    // ...but not as the truth: the publisher holds what it built from these kinds.
    expect(cache.uncertainKinds().get('MCPServer')).toMatch(/^watch of \/apis\/toolhive\.stacklok\.dev\/v1beta1\/mcpservers failed at .+ and has not re-listed since: /);
    expect(kindStatus(cache, 'MCPServer').lastFailureTime).toBeGreaterThan(0);

    proxy.refuse(false);
    await eventually('team-a/during-outage in the cache', () => cache.get('MCPServer', 'team-a', 'during-outage'), 20_000);
    await eventually('team-b/doomed gone from the cache', () => !cache.get('MCPServer', 'team-b', 'doomed'));
    const after = kindStatus(cache, 'MCPServer');
    expect(after.restarts).toBeGreaterThan(before.restarts);
    await eventually('no kind uncertain after the outage', () => cache.uncertainKinds().size === 0);

    // And the restarted watch is live again.
    await kubectl(['apply', '--server-side', '-f', '-'], mcpServer('after-outage', 'team-a'));
    await eventually('team-a/after-outage in the cache', () => cache.get('MCPServer', 'team-a', 'after-outage'));
    for (const status of cache.status()) {
      if (status.served) expect(status.restarts, status.kind).toBeGreaterThan(0);
    }
  }, 60_000);

  it('recovers from watches that went silent without any error, through the periodic relist', async () => {
    const quiet = new ClusterCache({
      kubeConfig: kubeConfigVia(cp, proxy.url),
      relistIntervalMs: 3_000,
      // A list sent on a frozen pooled connection must fail fast rather than hang.
      requestTimeoutMs: 2_000,
      backoff: { initialMs: 100, maxMs: 500 },
    });
    try {
      quiet.start();
      await quiet.waitForSync(30_000);
      // Each watch request goes out right after its kind's list; nothing observable says it
      // is connected, so give them a moment before freezing their connections.
      await new Promise((resolve) => setTimeout(resolve, 700));
      proxy.freeze();
      const relistsAtFreeze = kindStatus(quiet, 'MCPServer').relists;
      await kubectl(['apply', '--server-side', '-f', '-'], mcpServer('while-frozen', 'team-b'));
      const started = Date.now();
      await eventually('team-b/while-frozen despite the frozen watch', () => quiet.get('MCPServer', 'team-b', 'while-frozen'), 25_000);
      // The frozen watch delivered nothing; a relist did, well before client-node's 30 s
      // idle timeout would have noticed the dead connection.
      expect(kindStatus(quiet, 'MCPServer').relists).toBeGreaterThan(relistsAtFreeze);
      expect(Date.now() - started).toBeLessThan(20_000);
    } finally {
      await quiet.stop();
      proxy.cut(); // the frozen connections, also those of the shared cache
    }
    await eventually('shared cache caught up', () => cache.get('MCPServer', 'team-b', 'while-frozen'), 20_000);
  }, 60_000);

  it('relists healthy informers periodically without reporting unchanged objects as changes', async () => {
    const relisting = new ClusterCache({ kubeconfigPath: cp.kubeconfigPath, relistIntervalMs: 400 });
    try {
      relisting.start();
      await relisting.waitForSync(30_000);
      const generation = relisting.generation;
      const objects = relisting.list('MCPServer').length;
      await eventually(
        'two relists of every served kind',
        () => relisting.status().every((status) => !status.served || (status.relists >= 2 && status.synced)),
      );
      expect(relisting.generation).toBe(generation);
      expect(relisting.list('MCPServer')).toHaveLength(objects);
      expect(relisting.status().every((status) => status.failures === 0)).toBe(true);

      // A change is still seen while informers keep being replaced.
      await kubectl(['apply', '--server-side', '-f', '-'], mcpServer('while-relisting', 'team-b'));
      await eventually('team-b/while-relisting', () => relisting.get('MCPServer', 'team-b', 'while-relisting'));
    } finally {
      await relisting.stop();
    }
  });

  it('waitForSync rejects with the kinds that are missing when the API server cannot be reached', async () => {
    proxy.refuse(true);
    const unreachable = new ClusterCache({ kubeConfig: kubeConfigVia(cp, proxy.url), backoff: { initialMs: 100, maxMs: 200 } });
    try {
      unreachable.start();
      const error = await unreachable.waitForSync(1_000).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error?.name).toBe('CacheSyncError');
      expect(error?.message).toMatch(/not synced after 1000 ms; not synced: GatewayClass \(API discovery pending; last error: .+\)/);
      expect(unreachable.isSynced()).toBe(false);
    } finally {
      proxy.refuse(false);
      await unreachable.stop();
    }
    expect(() => unreachable.start()).toThrow(/cannot be started again/);
  });

  it('stop() ends every watch and timer: a process that syncs and stops a cache exits by itself', async () => {
    const script = path.join(cp.tempDir, 'stop-and-exit.mjs');
    const moduleUrl = new URL(`file://${path.join(repoRoot, 'src', 'kubernetes', 'cluster-cache.ts')}`).href;
    writeFileSync(
      script,
      `
import { ClusterCache } from ${JSON.stringify(moduleUrl)};
const cache = new ClusterCache({ kubeconfigPath: process.argv[2], relistIntervalMs: 60_000, discoveryIntervalMs: 1_000 });
cache.start();
await cache.waitForSync(30_000);
console.log('synced', cache.list('MCPServer').length);
// Let discovery, relist and watch reconnect timers get scheduled before stopping.
await new Promise((resolve) => setTimeout(resolve, 1_500));
await cache.stop();
console.log('stopped');
`,
    );
    const child = spawn(process.execPath, [script, cp.kubeconfigPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let stoppedAt = 0;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (!stoppedAt && stdout.includes('stopped')) stoppedAt = Date.now();
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = await new Promise<{ code: number | null; at: number }>((resolve) => {
      const killer = setTimeout(() => child.kill('SIGKILL'), 25_000);
      child.on('exit', (code) => {
        clearTimeout(killer);
        resolve({ code, at: Date.now() });
      });
    });
    expect(stderr).toBe('');
    expect(stdout).toMatch(/synced \d+\nstopped\n/);
    expect(exited.code).toBe(0);
    // Nothing left to keep the event loop alive: the process ends right after stop().
    expect(exited.at - stoppedAt).toBeLessThan(2_000);
  });
});
