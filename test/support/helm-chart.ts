// The Helm chart (charts/mcp-registry-export) for the tests and scripts/render-manifests.ts:
// `helm lint` / `helm template` with the real helm binary, values passed as a file (no
// --set escaping), the rendered documents parsed into objects; and the official CRDs of
// the kinds the test control plane does not install (scripts/fetch-crds.sh).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from './control-plane.ts';
import { kubeTools } from './kube-tools.ts';

export const chartDir = path.join(repoRoot, 'charts', 'mcp-registry-export');

/** The registry URL every render that needs one uses unless a test says otherwise. */
export const TEST_REGISTRY_URL = 'https://registry.example.com';

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** Runs helm with its config/cache/data dirs in a throwaway directory. Never throws on exit codes. */
export async function helm(args: string[], env: NodeJS.ProcessEnv = {}): Promise<HelmResult> {
  const home = mkdtempSync(path.join(tmpdir(), 'mcp-registry-export-helm-'));
  try {
    return await new Promise((resolve, reject) => {
      execFile(
        kubeTools().helm,
        args,
        {
          env: { ...process.env, HELM_CACHE_HOME: `${home}/cache`, HELM_CONFIG_HOME: `${home}/config`, HELM_DATA_HOME: `${home}/data`, ...env },
          maxBuffer: 64 * 1024 * 1024,
          timeout: 60_000,
        },
        (error, stdout, stderr) => {
          if (error && typeof error.code !== 'number') reject(error);
          else resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
        },
      );
    });
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** `-f <file>` arguments for these values (JSON is YAML), plus a cleanup. */
export function valuesFileArgs(values: object): { args: string[]; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'mcp-registry-export-values-'));
  const file = path.join(dir, 'values.yaml');
  writeFileSync(file, JSON.stringify(values));
  return { args: ['-f', file], cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface RenderOptions {
  release?: string;
  namespace?: string;
  extraArgs?: string[];
}

/** `helm template` of the chart; the raw result, for tests that expect a failure. */
export async function helmTemplate(values: object, options: RenderOptions = {}): Promise<HelmResult> {
  const { args, cleanup } = valuesFileArgs(values);
  try {
    return await helm([
      'template',
      options.release ?? 'mcp-registry-export',
      chartDir,
      '--namespace',
      options.namespace ?? 'mcp-registry-export',
      ...args,
      ...(options.extraArgs ?? []),
    ]);
  } finally {
    cleanup();
  }
}

/** `helm template` that must succeed: the rendered objects in helm's order. */
export async function renderChart(values: object, options: RenderOptions = {}): Promise<KubeObject[]> {
  const result = await helmTemplate(values, options);
  if (result.code !== 0) throw new Error(`helm template failed (exit ${result.code}):\n${result.stderr}`);
  return parseObjects(result.stdout);
}

/** YAML 1.1, as Kubernetes and Helm read it: `0440` is octal, `on` is a boolean. */
export function parseObjects(multiDocumentYaml: string): KubeObject[] {
  return parseAllDocuments(multiDocumentYaml, { version: '1.1' })
    .map((document) => {
      if (document.errors.length > 0) throw new Error(`rendered YAML does not parse: ${document.errors[0]!.message}`);
      return document.toJS() as KubeObject | null;
    })
    .filter((object): object is KubeObject => object !== null);
}

/** The one object of this kind (and name, if given); throws when there is none or several. */
export function only(objects: KubeObject[], kind: string, name?: string): KubeObject {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0]!;
}

/**
 * Official CRD files of cert-manager (Certificate, Issuer) and prometheus-operator
 * (ServiceMonitor), from the Go module proxy via scripts/fetch-crds.sh (cached).
 */
export async function extraCrdFiles(): Promise<{ certManager: string[]; serviceMonitor: string[] }> {
  const result = await new Promise<HelmResult>((resolve) => {
    execFile('bash', [path.join(repoRoot, 'scripts', 'fetch-crds.sh')], { timeout: 10 * 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
  if (result.code !== 0) throw new Error(`scripts/fetch-crds.sh failed (exit ${result.code}):\n${result.stderr}`);
  const [certManagerDir, prometheusDir] = result.stdout.trim().split('\n');
  if (!certManagerDir || !prometheusDir) throw new Error(`scripts/fetch-crds.sh printed no directories:\n${result.stdout}`);
  return {
    certManager: ['cert-manager.io_certificates.yaml', 'cert-manager.io_issuers.yaml'].map((f) => path.join(certManagerDir, f)),
    serviceMonitor: [path.join(prometheusDir, 'monitoring.coreos.com_servicemonitors.yaml')],
  };
}
