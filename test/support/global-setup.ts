// vitest globalSetup: make sure kube-apiserver and etcd, the upstream MCP registry and
// ToolHive's operator are built (once, into the cache outside the repo) before any
// end-to-end file starts them, and extract kubectl/helm. Silent when everything is cached.
// Set MCP_REGISTRY_EXPORT_SKIP_CONTROL_PLANE_BUILD=1 to skip the build (e.g. a
// unit-only run on a machine without Go); e2e files then fail with a clear message.
import { ensureControlPlaneBinaries } from './control-plane.ts';
import { kubeTools } from './kube-tools.ts';
import { ensureRegistryBinary } from './registry-server.ts';
import { ensureToolHiveOperatorBinary } from './toolhive-operator.ts';

export default async function setup(): Promise<void> {
  if (process.env['MCP_REGISTRY_EXPORT_SKIP_CONTROL_PLANE_BUILD'] === '1') return;
  await ensureControlPlaneBinaries();
  // The upstream MCP registry for the publisher's end-to-end tests (about a minute when cold).
  await ensureRegistryBinary();
  // ToolHive's operator (v0.47.0) for test/e2e/toolhive-operator.test.ts (about 3 minutes when cold).
  await ensureToolHiveOperatorBinary();
  kubeTools();
}
