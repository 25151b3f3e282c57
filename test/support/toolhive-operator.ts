// ToolHive's real Kubernetes operator (thv-operator, the version pinned in
// tools/toolhive-operator/go.mod, built by scripts/build-toolhive-operator.sh into a cache
// outside the repo) against a test control plane, for end-to-end tests:
//
//   const cluster = await startControlPlane({ toolhiveCrdDir: await toolhiveOperatorCrdDir() });
//   const operator = await startToolHiveOperator(cluster);
//   ... the operator creates the proxy Services and writes status.url ...
//   await operator.stop();
//
// The operator runs as its own process group with leader election off, its metrics and
// health probes on free loopback ports and the update check off; without a kubelet it
// creates Deployments, Services, RBAC and ConfigMaps and writes status, but no Pod ever
// runs, so it reports status.phase Pending. stop() ends it; so do process exit and a
// detached watchdog when the test process dies without running any handler.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot, type ControlPlane } from './control-plane.ts';
import { freePort } from './free-port.ts';

const buildScript = path.join(repoRoot, 'scripts', 'build-toolhive-operator.sh');

/** The ToolHive version the tests run (tools/toolhive-operator/go.mod). */
export function toolhiveVersion(): string {
  const gomod = readFileSync(path.join(repoRoot, 'tools', 'toolhive-operator', 'go.mod'), 'utf8');
  const version = /^require github\.com\/stacklok\/toolhive (v\S+)$/m.exec(gomod)?.[1];
  if (!version) throw new Error('cannot read the ToolHive version from tools/toolhive-operator/go.mod');
  return version;
}

function run(args: string[], inheritStderr = false): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', [buildScript, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (inheritStderr) process.stderr.write(chunk);
    });
    child.on('error', (error) => resolve({ code: 127, stdout, stderr: String(error) }));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** Builds thv-operator when it is not cached (about 3 minutes on 2 cores) and returns its path. */
export async function ensureToolHiveOperatorBinary(): Promise<string> {
  const build = await run([], true);
  if (build.code !== 0) {
    throw new Error(
      `scripts/build-toolhive-operator.sh failed (exit ${build.code}); it needs Go >= 1.26 and the Go module proxy: ${build.stderr.trim().split('\n').pop() ?? ''}`,
    );
  }
  const binary = (await run(['--print-path'])).stdout.trim();
  if (!existsSync(binary)) throw new Error(`thv-operator not found at '${binary}' after scripts/build-toolhive-operator.sh`);
  return binary;
}

/**
 * The directory of the operator's own CRDs (deploy/charts/operator-crds/files/crds/ of the
 * same module version, in the Go module cache), for startControlPlane({ toolhiveCrdDir }).
 */
export async function toolhiveOperatorCrdDir(): Promise<string> {
  const result = await run(['--crd-dir']);
  if (result.code !== 0) throw new Error(result.stderr.trim() || `scripts/build-toolhive-operator.sh --crd-dir failed (exit ${result.code})`);
  return result.stdout.trim();
}

export interface ToolHiveOperatorOptions {
  /** POD_NAMESPACE: the operator's own namespace, created if missing (default toolhive-system). */
  namespace?: string;
  /** WATCH_NAMESPACE: comma-separated namespaces to reconcile (default: all). */
  watchNamespace?: string;
  /** Milliseconds to wait for /healthz and /readyz (default 60 s). */
  startTimeoutMs?: number;
}

export interface ToolHiveOperator {
  pid: number;
  /** http://127.0.0.1:<port>: /metrics */
  metricsUrl: string;
  /** http://127.0.0.1:<port>: /healthz, /readyz */
  healthUrl: string;
  logPath: string;
  /** The operator's output so far (for failure messages). */
  log(): string;
  /** Stops the operator and removes its temp dir. Idempotent. */
  stop(): Promise<void>;
}

export async function startToolHiveOperator(cluster: ControlPlane, options: ToolHiveOperatorOptions = {}): Promise<ToolHiveOperator> {
  const binary = await ensureToolHiveOperatorBinary();
  const namespace = options.namespace ?? 'toolhive-system';
  const created = await cluster.kubectl(['create', 'namespace', namespace]);
  if (created.code !== 0 && !/AlreadyExists/.test(created.stderr)) throw new Error(`creating namespace ${namespace} failed: ${created.stderr}`);

  // Free ports are picked by binding :0 and releasing; retry when one was taken meanwhile.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(binary, cluster, namespace, options);
    } catch (error) {
      if (attempt < 3 && error instanceof PortInUseError) continue;
      throw error;
    }
  }
}

class PortInUseError extends Error {}

async function startOnce(binary: string, cluster: ControlPlane, namespace: string, options: ToolHiveOperatorOptions): Promise<ToolHiveOperator> {
  const dir = mkdtempSync(path.join(tmpdir(), 'mcp-registry-export-thv-operator-'));
  const logPath = path.join(dir, 'operator.log');
  const [metricsPort, probePort] = [await freePort(), await freePort()];
  const metricsUrl = `http://127.0.0.1:${metricsPort}`;
  const healthUrl = `http://127.0.0.1:${probePort}`;
  const logFd = openSync(logPath, 'a');
  let child: ChildProcess;
  try {
    child = spawn(binary, [`--metrics-bind-address=127.0.0.1:${metricsPort}`, `--health-probe-bind-address=127.0.0.1:${probePort}`, '--leader-elect=false'], {
      // Its own process group: stop() and the watchdog end it as a whole.
      detached: true,
      stdio: ['ignore', logFd, logFd],
      cwd: dir,
      env: {
        PATH: process.env['PATH'] ?? '',
        HOME: dir,
        KUBECONFIG: cluster.kubeconfigPath,
        POD_NAMESPACE: namespace,
        ...(options.watchNamespace !== undefined ? { WATCH_NAMESPACE: options.watchNamespace } : {}),
        // Its only call out of the cluster; off, so nothing leaves the machine.
        TOOLHIVE_SKIP_UPDATE_CHECK: 'true',
      },
    });
  } finally {
    closeSync(logFd);
  }
  child.on('error', () => {}); // reported below as an exit before healthy
  const log = (): string => {
    try {
      return readFileSync(logPath, 'utf8');
    } catch {
      return '';
    }
  };
  const tail = (lines = 40) => log().trimEnd().split('\n').slice(-lines).join('\n');
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const watchdog = startWatchdog(child.pid!, dir);
  const onExit = (): void => {
    killGroup(child.pid!, 'SIGKILL');
    watchdog.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.off('exit', onExit);
    if (!exited() && child.pid !== undefined) {
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      killGroup(child.pid, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child.pid!, 'SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    }
    if (child.pid !== undefined) killGroup(child.pid, 'SIGKILL'); // anything left in the group
    watchdog.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  try {
    for (;;) {
      if (exited()) {
        const output = tail();
        if (/address already in use/i.test(output)) throw new PortInUseError('thv-operator: port in use');
        throw new Error(`thv-operator exited (${child.exitCode ?? child.signalCode}) before it was healthy:\n${output}`);
      }
      if ((await ok(`${healthUrl}/healthz`)) && (await ok(`${healthUrl}/readyz`))) break;
      if (Date.now() > deadline) throw new Error(`thv-operator not healthy at ${healthUrl} after ${options.startTimeoutMs ?? 60_000} ms:\n${tail()}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { pid: child.pid!, metricsUrl, healthUrl, logPath, log, stop };
}

async function ok(url: string): Promise<boolean> {
  return fetch(url, { signal: AbortSignal.timeout(2_000) }).then(
    (response) => response.ok,
    () => false,
  );
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

/** A detached shell that ends the operator's process group once the test process is gone. */
function startWatchdog(pgid: number, dir: string): ChildProcess {
  const script = [
    `trap '' INT TERM HUP`,
    `while kill -0 "$1" 2>/dev/null; do sleep 1; done`,
    `kill -TERM -- "-$2" 2>/dev/null; sleep 2; kill -KILL -- "-$2" 2>/dev/null`,
    `rm -rf -- "$3"`,
  ].join('\n');
  const watchdog = spawn('bash', ['-c', script, 'watchdog', String(process.pid), String(pgid), dir], { detached: true, stdio: 'ignore' });
  watchdog.on('error', () => {});
  watchdog.unref();
  return watchdog;
}
