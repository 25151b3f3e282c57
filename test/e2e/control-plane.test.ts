// Smoke test of the e2e harness: a real kube-apiserver with the Gateway API and
// ToolHive CRDs accepts, stores and returns our kinds, and stop() leaves nothing behind.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, type ControlPlane } from '../support/control-plane.ts';

const manifests = `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: smoke
spec:
  controllerName: example.com/smoke
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: public
  namespace: default
spec:
  gatewayClassName: smoke
  listeners:
  - name: https
    protocol: HTTPS
    port: 443
    hostname: "*.mcp.example.com"
    tls:
      certificateRefs:
      - name: wildcard-cert
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: github
  namespace: default
spec:
  parentRefs:
  - name: public
    sectionName: https
  hostnames:
  - github.mcp.example.com
  rules:
  - matches:
    - path:
        type: PathPrefix
        value: /mcp
    backendRefs:
    - name: mcp-github-proxy
      port: 8080
---
apiVersion: toolhive.stacklok.dev/v1beta1
kind: MCPServer
metadata:
  name: github
  namespace: default
spec:
  image: ghcr.io/github/github-mcp-server:latest
  transport: streamable-http
  proxyPort: 8080
`;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('control plane harness', () => {
  let cp: ControlPlane;
  let startupMs = 0;

  beforeAll(async () => {
    const started = performance.now();
    cp = await startControlPlane();
    startupMs = performance.now() - started;
  });

  afterAll(async () => {
    await cp?.stop();
  });

  it('serves kube-apiserver v1.34 over TLS with the admin token', async () => {
    const version = await cp.kubectl(['version', '-o', 'json']);
    expect(version.code, version.stderr).toBe(0);
    const server = JSON.parse(version.stdout).serverVersion as { gitVersion: string; major: string; minor: string };
    expect(server.gitVersion).toMatch(/^v1\.34\.\d+$/);
    expect(server).toMatchObject({ major: '1', minor: '34' });
    expect(cp.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(cp.caPem).toContain('BEGIN CERTIFICATE');
    expect(startupMs).toBeLessThan(90_000);
  });

  it('has the Gateway API and ToolHive CRDs established', async () => {
    const crds = await cp.kubectl(['get', 'crd', '-o', 'name']);
    expect(crds.code, crds.stderr).toBe(0);
    expect(crds.stdout).toContain('customresourcedefinition.apiextensions.k8s.io/httproutes.gateway.networking.k8s.io');
    expect(crds.stdout).toContain('customresourcedefinition.apiextensions.k8s.io/gateways.gateway.networking.k8s.io');
    expect(crds.stdout).toContain('customresourcedefinition.apiextensions.k8s.io/mcpservers.toolhive.stacklok.dev');
  });

  it('applies and reads back a Gateway, an HTTPRoute and an MCPServer', async () => {
    const apply = await cp.kubectl(['apply', '--server-side', '-f', '-'], { input: manifests });
    expect(apply.code, apply.stderr).toBe(0);

    const route = await cp.kubectl(['get', 'httproute', 'github', '-n', 'default', '-o', 'json']);
    expect(route.code, route.stderr).toBe(0);
    const routeObject = JSON.parse(route.stdout);
    expect(routeObject.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(routeObject.spec.hostnames).toEqual(['github.mcp.example.com']);
    // Defaults from the real CRD schema were applied by the API server.
    expect(routeObject.spec.parentRefs[0]).toMatchObject({ group: 'gateway.networking.k8s.io', kind: 'Gateway' });

    const gateway = await cp.kubectl(['get', 'gateway', 'public', '-n', 'default', '-o', 'json']);
    expect(gateway.code, gateway.stderr).toBe(0);
    expect(JSON.parse(gateway.stdout).spec.listeners[0].allowedRoutes).toEqual({ namespaces: { from: 'Same' } });

    const server = await cp.kubectl(['get', 'mcpserver', 'github', '-n', 'default', '-o', 'json']);
    expect(server.code, server.stderr).toBe(0);
    const serverObject = JSON.parse(server.stdout);
    expect(serverObject.apiVersion).toBe('toolhive.stacklok.dev/v1beta1');
    expect(serverObject.spec.image).toBe('ghcr.io/github/github-mcp-server:latest');
  });

  it('rejects an HTTPRoute the CRD schema forbids', async () => {
    const bad = await cp.kubectl(['apply', '--server-side', '-f', '-'], {
      input: `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: bad
  namespace: default
spec:
  hostnames: ["Not_A_Hostname"]
`,
    });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/hostnames/);
  });

  it('stop() kills both processes and removes the temp dir', async () => {
    const { pids, tempDir } = cp;
    expect(isAlive(pids.etcd) && isAlive(pids.apiServer)).toBe(true);
    await cp.stop();
    expect(isAlive(pids.etcd)).toBe(false);
    expect(isAlive(pids.apiServer)).toBe(false);
    expect(existsSync(tempDir)).toBe(false);
    await cp.stop(); // idempotent
  });
});
