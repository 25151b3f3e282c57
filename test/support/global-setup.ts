// vitest globalSetup: make sure kube-apiserver and etcd are built (once, into the
// cache outside the repo) before any end-to-end file starts a control plane, and
// extract kubectl/helm. Silent when everything is cached already.
// Set MCP_REGISTRY_EXPORT_SKIP_CONTROL_PLANE_BUILD=1 to skip the build (e.g. a
// unit-only run on a machine without Go); e2e files then fail with a clear message.
import { ensureControlPlaneBinaries } from './control-plane.ts';
import { kubeTools } from './kube-tools.ts';
import { ensureRegistryBinary } from './registry-server.ts';

export default async function setup(): Promise<void> {
  if (process.env['MCP_REGISTRY_EXPORT_SKIP_CONTROL_PLANE_BUILD'] === '1') return;
  await ensureControlPlaneBinaries();
  // The upstream MCP registry for the publisher's end-to-end tests (about a minute when cold).
  await ensureRegistryBinary();
  kubeTools();
}
