// The objects of the publisher end-to-end cases, applied with the real kubectl, and the
// status a Gateway controller would write (shared with `npm run demo`): a GatewayClass, a Gateway with an https
// listener, an MCPServer and an exported HTTPRoute in front of it.

import type { ControlPlane } from './control-plane.ts';

export const CONTROLLER = 'example.com/gateway-controller';
export const P = 'toolhive.stacklok.dev/';

export function baseObjects(hostname = 'mcp.company.com'): string {
  return `apiVersion: v1
kind: Namespace
metadata: {name: gateway-system}
---
apiVersion: v1
kind: Namespace
metadata: {name: mcp-servers}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: example}
spec: {controllerName: ${CONTROLLER}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: public, namespace: gateway-system}
spec:
  gatewayClassName: example
  listeners:
    - name: https
      port: 443
      protocol: HTTPS
      hostname: ${hostname}
      allowedRoutes: {namespaces: {from: All}}
      tls: {mode: Terminate, certificateRefs: [{name: public-tls}]}
`;
}

function annotationLines(annotations: Record<string, string>): string {
  return Object.entries(annotations)
    .map(([key, value]) => `    ${key}: ${JSON.stringify(value)}`)
    .join('\n');
}

export function mcpServer(name: string, description: string, extra: Record<string, string> = {}, image = `ghcr.io/example/${name}-mcp-server:v1.2.0`): string {
  const annotations = { [`${P}registry-description`]: description, ...extra };
  return `apiVersion: toolhive.stacklok.dev/v1alpha1
kind: MCPServer
metadata:
  name: ${name}
  namespace: mcp-servers
  annotations:
${annotationLines(annotations)}
spec:
  image: ${image}
  transport: streamable-http
`;
}

/** An exported HTTPRoute in mcp-servers to the backend's proxy Service, on /<backend> unless `path` says otherwise. */
export function exportedRoute(name: string, backend: string, annotations: Record<string, string> = {}, { path = `/${backend}`, port = 8080 } = {}): string {
  const all = { [`${P}registry-export`]: 'true', ...annotations };
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: ${name}
  namespace: mcp-servers
  annotations:
${annotationLines(all)}
spec:
  parentRefs: [{name: public, namespace: gateway-system}]
  rules:
    - matches: [{path: {type: PathPrefix, value: ${path}}}]
      filters:
        - type: URLRewrite
          urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}
      backendRefs: [{name: mcp-${backend}-proxy, port: ${port}}]
`;
}

export async function apply(cluster: ControlPlane, yaml: string): Promise<void> {
  const result = await cluster.kubectl(['apply', '-f', '-'], { input: yaml });
  if (result.code !== 0) throw new Error(`kubectl apply failed: ${result.stderr}`);
}

export async function kubectlOk(cluster: ControlPlane, args: string[]): Promise<string> {
  const result = await cluster.kubectl(args);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

/** What a Gateway controller writes once it has accepted the route at its current generation. */
export async function acceptRoute(cluster: ControlPlane, name: string, namespace = 'mcp-servers', parent = { name: 'public', namespace: 'gateway-system' }): Promise<void> {
  const generation = (await kubectlOk(cluster, ['get', 'httproute', name, '-n', namespace, '-o', 'jsonpath={.metadata.generation}'])).trim();
  const condition = (type: string) => ({ type, status: 'True', reason: type, message: '', observedGeneration: Number(generation), lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') });
  const status = {
    status: {
      parents: [
        {
          parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', ...parent },
          controllerName: CONTROLLER,
          conditions: [condition('Accepted'), condition('ResolvedRefs')],
        },
      ],
    },
  };
  await kubectlOk(cluster, ['patch', 'httproute', name, '-n', namespace, '--subresource=status', '--type=merge', '-p', JSON.stringify(status)]);
}

/** Polls until `check` returns something other than undefined (or throws its last error). */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
