// The namespace the product is installed in (its Secret, Lease and Service live there):
// the flag or MCP_REGISTRY_EXPORT_INSTALL_NAMESPACE (the chart sets it from the downward
// API), else the pod's own service account namespace, else "mcp-registry-export".

import { readFileSync } from 'node:fs';
import { Option } from 'commander';

const SERVICE_ACCOUNT_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';
export const DEFAULT_INSTALL_NAMESPACE = 'mcp-registry-export';

export function installNamespaceOption(): Option {
  return new Option('--install-namespace <namespace>', `namespace of the certificate Secret, the Lease and the webhook Service (default: the pod's namespace, else ${DEFAULT_INSTALL_NAMESPACE})`).env(
    'MCP_REGISTRY_EXPORT_INSTALL_NAMESPACE',
  );
}

export function resolveInstallNamespace(flag: string | undefined): string {
  if (flag) return flag;
  try {
    const fromPod = readFileSync(SERVICE_ACCOUNT_NAMESPACE, 'utf8').trim();
    if (fromPod) return fromPod;
  } catch {
    // Not in a pod.
  }
  return DEFAULT_INSTALL_NAMESPACE;
}
