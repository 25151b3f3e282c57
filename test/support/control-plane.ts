// A real Kubernetes control plane (etcd + kube-apiserver, no controllers, no nodes)
// for end-to-end tests. The binaries come from scripts/build-control-plane.sh (built
// from Go modules into a cache outside the repo); kubectl and helm from kube-tools.ts.
//
//   const cp = await startControlPlane();
//   await cp.kubectl(['apply', '--server-side', '-f', '-'], { input: yaml });
//   await cp.stop();
//
// Everything lives in one temp dir and two process groups. stop() removes both;
// so do SIGINT/SIGTERM and process exit, and a detached watchdog reaps them if the
// test process dies without running any handler (SIGKILL, crash).
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { createServer, type AddressInfo } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import path from 'node:path';
import { kubeTools } from './kube-tools.ts';

export const repoRoot = path.resolve(import.meta.dirname, '..', '..');
/** Reference data shared by the workspace; CI clones the repo with shared/ beside it. */
export const sharedReferenceDir = path.resolve(repoRoot, '..', 'shared', 'reference');
const buildScript = path.join(repoRoot, 'scripts', 'build-control-plane.sh');

export interface ControlPlaneOptions {
  /** Install the Gateway API and ToolHive CRDs and wait until Established (default true). */
  installCrds?: boolean;
  /**
   * Where the ToolHive CRDs come from: a directory of `toolhive.stacklok.dev_*.yaml` used
   * instead of shared/reference/toolhive-crds/, e.g. the CRDs of the operator version the
   * tests run (toolhiveOperatorCrdDir() in toolhive-operator.ts). Same CRD names: only one
   * set is installed.
   */
  toolhiveCrdDir?: string;
  /** Milliseconds to wait for etcd and kube-apiserver to become ready (default 90 s). */
  startTimeoutMs?: number;
  /** Extra kube-apiserver flags, e.g. ['--feature-gates=...']. */
  extraApiServerArgs?: string[];
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CommandOptions {
  /** Written to the command's stdin. */
  input?: string;
  /** Kill the command after this many milliseconds (default 60 s). */
  timeoutMs?: number;
}

export interface ControlPlane {
  /** https://127.0.0.1:<port> */
  server: string;
  /** Bearer token of user "admin" in group system:masters. */
  token: string;
  /** PEM bundle that verifies the API server (its self-signed serving cert + CA). */
  caPem: string;
  /** Kubeconfig (context "test") with server, CA and token. */
  kubeconfigPath: string;
  /** Directory holding everything this control plane wrote; removed by stop(). */
  tempDir: string;
  /** http://127.0.0.1:<port> */
  etcdUrl: string;
  pids: { etcd: number; apiServer: number };
  /** kubectl against this control plane; never throws on a non-zero exit. */
  kubectl(args: string[], options?: CommandOptions): Promise<CommandResult>;
  /** helm against this control plane (its config/cache/data dirs are in tempDir). */
  helm(args: string[], options?: CommandOptions): Promise<CommandResult>;
  /** Stops kube-apiserver (for `downMs`) and starts it again: same port, etcd and certificates. */
  restartApiServer(downMs?: number): Promise<void>;
  /** Stops both processes and removes tempDir. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Runs scripts/build-control-plane.sh (a no-op when cached) and returns the directory
 * holding kube-apiserver and etcd. A cold build takes 10-25 minutes and needs Go.
 */
export async function ensureControlPlaneBinaries(): Promise<string> {
  const build = await run('bash', [buildScript], { inheritStderr: true, timeoutMs: 60 * 60_000 });
  if (build.code !== 0) {
    throw new Error(
      `scripts/build-control-plane.sh failed (exit ${build.code}); kube-apiserver and etcd are built from Go modules ` +
        `and need Go >= 1.24 plus the Go module proxy. Run \`npm run build:control-plane\` to see the full output.`,
    );
  }
  const printed = await run('bash', [buildScript, '--print-dir']);
  const dir = printed.stdout.trim();
  if (printed.code !== 0 || !existsSync(path.join(dir, 'kube-apiserver')) || !existsSync(path.join(dir, 'etcd'))) {
    throw new Error(`kube-apiserver/etcd not found in '${dir}' after scripts/build-control-plane.sh`);
  }
  return dir;
}

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const binDir = await ensureControlPlaneBinaries();
  const tools = kubeTools();
  // Free ports are picked by binding :0 and releasing; another process can grab one in
  // between, so retry the whole start when a port turns out to be taken.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(binDir, tools, options);
    } catch (error) {
      if (attempt < 3 && error instanceof PortInUseError) continue;
      throw error;
    }
  }
}

class PortInUseError extends Error {}

interface RunningPlane {
  groups: number[];
  tempDir: string;
  watchdog?: ChildProcess;
}

const running = new Set<RunningPlane>();

async function startOnce(
  binDir: string,
  tools: { kubectl: string; helm: string },
  options: ControlPlaneOptions,
): Promise<ControlPlane> {
  const startTimeoutMs = options.startTimeoutMs ?? 90_000;
  const tempDir = mkdtempSync(path.join(tmpdir(), 'mcp-registry-export-cp-'));
  const plane: RunningPlane = { groups: [], tempDir };
  running.add(plane);
  installExitHooks();
  const children: ChildProcess[] = [];

  const stop = async (): Promise<void> => {
    if (!running.has(plane)) return;
    running.delete(plane);
    plane.watchdog?.kill('SIGKILL');
    // kube-apiserver first: it shuts down quickly only while etcd is still there.
    for (const child of [...children].reverse()) await terminate(child);
    rmSync(tempDir, { recursive: true, force: true, maxRetries: 5 });
    if (running.size === 0) removeExitHooks();
  };

  try {
    const [etcdPort, etcdPeerPort, apiPort] = await freePorts(3);
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const server = `https://127.0.0.1:${apiPort}`;

    const etcd = spawnLogged(path.join(binDir, 'etcd'), [
      `--name=test`,
      `--data-dir=${path.join(tempDir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
      `--initial-cluster=test=http://127.0.0.1:${etcdPeerPort}`,
      `--unsafe-no-fsync=true`,
      `--log-level=warn`,
    ], path.join(tempDir, 'etcd.log'));
    children.push(etcd);
    plane.groups.push(etcd.pid!);

    const token = randomBytes(24).toString('hex');
    writeFileSync(path.join(tempDir, 'tokens.csv'), `${token},admin,admin,"system:masters"\n`, { mode: 0o600 });
    const { privateKey } = generateKeyPairSync('ec', {
      namedCurve: 'P-256',
      privateKeyEncoding: { type: 'sec1', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const saKey = path.join(tempDir, 'sa.key');
    writeFileSync(saKey, privateKey, { mode: 0o600 });
    const certDir = path.join(tempDir, 'pki');
    mkdirSync(certDir);

    await waitFor('etcd', startTimeoutMs, etcd, path.join(tempDir, 'etcd.log'), async () => {
      const health = await httpGetText(`${etcdUrl}/health`);
      return health.status === 200 && health.body.includes('"health":"true"');
    });

    const apiServerLog = path.join(tempDir, 'kube-apiserver.log');
    const spawnApiServer = () =>
      spawnLogged(path.join(binDir, 'kube-apiserver'), [
        `--etcd-servers=${etcdUrl}`,
        `--bind-address=127.0.0.1`,
        `--secure-port=${apiPort}`,
        `--cert-dir=${certDir}`,
        `--token-auth-file=${path.join(tempDir, 'tokens.csv')}`,
        `--authorization-mode=RBAC`,
        `--disable-admission-plugins=ServiceAccount`,
        `--allow-privileged=true`,
        `--service-cluster-ip-range=10.0.0.0/24`,
        `--service-account-issuer=${server}`,
        `--service-account-key-file=${saKey}`,
        `--service-account-signing-key-file=${saKey}`,
        ...advertiseArgs(),
        ...(options.extraApiServerArgs ?? []),
      ], apiServerLog);
    let apiServer = spawnApiServer();
    children.push(apiServer);
    plane.groups.push(apiServer.pid!);
    plane.watchdog = startWatchdog(plane);

    const caPath = path.join(certDir, 'apiserver.crt');
    const apiServerReady = () =>
      waitFor('kube-apiserver', startTimeoutMs, apiServer, apiServerLog, async () => {
        if (!existsSync(caPath)) return false;
        const ready = await httpsGetText(`${server}/readyz`, readFileSync(caPath, 'utf8'), token);
        return ready.status === 200;
      });
    await apiServerReady();
    /** Stops kube-apiserver and starts it again on the same port, etcd and certificates. */
    const restartApiServer = async (downMs = 0): Promise<void> => {
      await terminate(apiServer);
      children.splice(children.indexOf(apiServer), 1);
      plane.groups.splice(plane.groups.indexOf(apiServer.pid!), 1);
      if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
      apiServer = spawnApiServer();
      children.push(apiServer);
      plane.groups.push(apiServer.pid!);
      // The watchdog knows process groups by number: give it the new one.
      plane.watchdog?.kill('SIGKILL');
      plane.watchdog = startWatchdog(plane);
      await apiServerReady();
    };
    const caPem = readFileSync(caPath, 'utf8');

    const kubeconfigPath = path.join(tempDir, 'kubeconfig');
    writeFileSync(kubeconfigPath, kubeconfig(server, caPath, token), { mode: 0o600 });

    const env = {
      ...process.env,
      KUBECONFIG: kubeconfigPath,
      HELM_CACHE_HOME: path.join(tempDir, 'helm', 'cache'),
      HELM_CONFIG_HOME: path.join(tempDir, 'helm', 'config'),
      HELM_DATA_HOME: path.join(tempDir, 'helm', 'data'),
    };
    const kubectl = (args: string[], commandOptions: CommandOptions = {}) =>
      run(tools.kubectl, [`--kubeconfig=${kubeconfigPath}`, `--cache-dir=${path.join(tempDir, 'kube-cache')}`, ...args], {
        ...commandOptions,
        env,
      });
    const helm = (args: string[], commandOptions: CommandOptions = {}) =>
      run(tools.helm, [`--kubeconfig=${kubeconfigPath}`, ...args], { ...commandOptions, env });

    if (options.installCrds ?? true) await installCrds(kubectl, options.toolhiveCrdDir);

    return {
      server,
      token,
      caPem,
      kubeconfigPath,
      tempDir,
      etcdUrl,
      pids: { etcd: etcd.pid!, apiServer: apiServer.pid! },
      kubectl,
      helm,
      restartApiServer,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * The CRD files the harness installs: Gateway API (standard) and ToolHive, the latter from
 * shared/reference/toolhive-crds/ unless `toolhiveCrdDir` names another directory.
 */
export function crdFiles(toolhiveCrdDir?: string): string[] {
  const gatewayDir = path.join(sharedReferenceDir, 'gateway-api-crds');
  const toolhiveDir = toolhiveCrdDir ?? path.join(sharedReferenceDir, 'toolhive-crds');
  const list = (dir: string, match: (name: string) => boolean): string[] => {
    if (!existsSync(dir)) throw new Error(`CRD directory ${dir} is missing (shared/ must sit beside the repo)`);
    return readdirSync(dir).filter(match).sort().map((name) => path.join(dir, name));
  };
  return [
    ...list(gatewayDir, (name) => name.startsWith('gateway.networking.k8s.io_') && name.endsWith('.yaml')),
    ...list(toolhiveDir, (name) => name.startsWith('toolhive.stacklok.dev_') && name.endsWith('.yaml')),
  ];
}

async function installCrds(kubectl: ControlPlane['kubectl'], toolhiveCrdDir?: string): Promise<void> {
  const files = crdFiles(toolhiveCrdDir);
  const apply = await kubectl(['apply', '--server-side', '--field-manager=e2e-harness', ...files.flatMap((f) => ['-f', f])]);
  if (apply.code !== 0) throw new Error(`installing CRDs failed:\n${apply.stderr}`);
  const wait = await kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
  if (wait.code !== 0) throw new Error(`CRDs did not become Established:\n${wait.stderr}`);
}

function kubeconfig(server: string, caPath: string, token: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: test',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority: ${JSON.stringify(caPath)}`,
    'users:',
    '- name: admin',
    '  user:',
    `    token: ${token}`,
    'contexts:',
    '- name: test',
    '  context:',
    '    cluster: test',
    '    user: admin',
    'current-context: test',
    '',
  ].join('\n');
}

/**
 * kube-apiserver derives its advertise address from the default route and refuses to
 * start without one; on such machines give it a non-loopback address and no endpoint
 * reconciler (nothing reads the kubernetes Service endpoints here).
 */
function advertiseArgs(): string[] {
  if (hasDefaultRoute()) return [];
  const address =
    Object.values(networkInterfaces())
      .flat()
      .find((info) => info && info.family === 'IPv4' && !info.internal)?.address ?? '127.0.0.1';
  return [`--advertise-address=${address}`, '--endpoint-reconciler-type=none'];
}

function hasDefaultRoute(): boolean {
  try {
    const v4 = readFileSync('/proc/net/route', 'utf8').split('\n').slice(1);
    if (v4.some((line) => line.split(/\s+/)[1] === '00000000')) return true;
  } catch {
    return true; // not Linux: let kube-apiserver decide
  }
  try {
    const v6 = readFileSync('/proc/net/ipv6_route', 'utf8').split('\n');
    return v6.some((line) => {
      const fields = line.trim().split(/\s+/);
      return fields[0] === '0'.repeat(32) && fields[1] === '00' && fields[9] !== 'lo';
    });
  } catch {
    return false;
  }
}

function spawnLogged(binary: string, args: string[], logPath: string): ChildProcess {
  const log = openSync(logPath, 'a');
  try {
    // detached: its own process group, so the group can be killed as a whole and a
    // terminal Ctrl-C reaches our handlers first.
    const child = spawn(binary, args, { detached: true, stdio: ['ignore', log, log] });
    child.on('error', () => {}); // reported through waitFor (exit before ready)
    return child;
  } finally {
    closeSync(log);
  }
}

async function waitFor(
  name: string,
  timeoutMs: number,
  child: ChildProcess,
  logPath: string,
  ready: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const log = tail(logPath);
      if (/address already in use/i.test(log)) throw new PortInUseError(`${name}: port in use`);
      throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${log}`);
    }
    if (await ready().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${name} not ready after ${timeoutMs} ms:\n${tail(logPath)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function tail(logPath: string, lines = 30): string {
  try {
    return readFileSync(logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  killGroup(child.pid, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child.pid!, 'SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
  killGroup(child.pid, 'SIGKILL'); // anything left in the group
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

/**
 * A detached shell that outlives a hard-killed test process: once our pid is gone it
 * kills both process groups and removes the temp dir. Killed by stop().
 */
function startWatchdog(plane: RunningPlane): ChildProcess {
  const script = [
    `trap '' INT TERM HUP`,
    `while kill -0 "$1" 2>/dev/null; do sleep 1; done`,
    `shift; dir="$1"; shift`,
    `for g in "$@"; do kill -TERM -- "-$g" 2>/dev/null; done`,
    `sleep 2`,
    `for g in "$@"; do kill -KILL -- "-$g" 2>/dev/null; done`,
    `rm -rf -- "$dir"`,
  ].join('\n');
  const watchdog = spawn('bash', ['-c', script, 'watchdog', String(process.pid), plane.tempDir, ...plane.groups.map(String)], {
    detached: true,
    stdio: 'ignore',
  });
  watchdog.on('error', () => {});
  watchdog.unref();
  return watchdog;
}

// Synchronous cleanup for process exit and signals (no awaiting possible there).
function killAllNow(): void {
  for (const plane of running) {
    plane.watchdog?.kill('SIGKILL');
    for (const group of plane.groups) killGroup(group, 'SIGKILL');
    rmSync(plane.tempDir, { recursive: true, force: true, maxRetries: 5 });
  }
  running.clear();
}

const onSignal = (signal: NodeJS.Signals): void => {
  killAllNow();
  removeExitHooks();
  // Re-raise: other listeners (or the default action) decide what happens next.
  process.kill(process.pid, signal);
};
let hooksInstalled = false;

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllNow);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
}

function removeExitHooks(): void {
  if (!hooksInstalled) return;
  hooksInstalled = false;
  process.off('exit', killAllNow);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.off('SIGHUP', onSignal);
}

async function freePorts(count: number): Promise<number[]> {
  // Hold all listeners open together so the ports are distinct.
  const servers = await Promise.all(
    Array.from({ length: count }, () =>
      new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
        const s = createServer();
        s.once('error', reject);
        s.listen(0, '127.0.0.1', () => resolve(s));
      }),
    ),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

function httpGetText(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { timeout: 2_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

function httpsGetText(url: string, ca: string, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsGet(url, { ca, headers: { authorization: `Bearer ${token}` }, timeout: 2_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

interface RunOptions extends CommandOptions {
  env?: NodeJS.ProcessEnv;
  /** Pass the command's stderr through to ours (build progress). */
  inheritStderr?: boolean;
}

function run(command: string, args: string[], options: RunOptions = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', options.inheritStderr ? 'inherit' : 'pipe'],
      timeout: options.timeoutMs ?? 60_000,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
    child.stdin!.on('error', () => {}); // the command may exit without reading stdin
    child.stdin!.end(options.input ?? '');
  });
}
