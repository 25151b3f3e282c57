// What the container image depends on, without a container runtime: the package that
// `npm pack` makes (the `files` field decides: dist/ and npm's own package.json, README,
// LICENSE), installed with production dependencies only into an empty directory, runs on
// Node 24: --help, plan, certs, and an HTTPS webhook that answers /healthz and exits 0 on
// SIGTERM. The Dockerfile is only read as text here: its runtime stage must copy what this
// test installs and run as a non-root user.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.ts';
import { httpsClient } from '../support/https-client.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PACKAGE = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
// npm is slow when its cache is cold; generous, but a failure still fails at once.
const NPM_TIMEOUT_MS = 8 * 60_000;

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: readonly string[], options: { cwd: string; timeoutMs?: number; env?: NodeJS.ProcessEnv }): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} took longer than ${options.timeoutMs} ms\n${stdout}${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function succeed(command: string, args: readonly string[], options: Parameters<typeof run>[2]): Promise<string> {
  const result = await run(command, args, options);
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.code}\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

// The project brings Node 24 (devDependency "node") but no npm: the system's npm runs with
// that Node first on PATH (its `#!/usr/bin/env node` finds it), so engines checks and
// lifecycle scripts see Node 24. A project-local npm, when there is one, wins.
const NODE = process.execPath;
const LOCAL_NPM = join(ROOT, 'node_modules', 'npm', 'bin', 'npm-cli.js');
const NPM_ENV = { ...process.env, PATH: `${dirname(NODE)}${delimiter}${process.env['PATH'] ?? ''}` };
function npm(args: readonly string[], cwd: string): Promise<string> {
  return existsSync(LOCAL_NPM)
    ? succeed(NODE, [LOCAL_NPM, ...args], { cwd, timeoutMs: NPM_TIMEOUT_MS, env: NPM_ENV })
    : succeed('npm', args, { cwd, timeoutMs: NPM_TIMEOUT_MS, env: NPM_ENV });
}

async function packagesIn(nodeModules: string): Promise<Set<string>> {
  const names = new Set<string>();
  for (const entry of await readdir(nodeModules)) {
    if (entry.startsWith('.')) continue;
    if (!entry.startsWith('@')) names.add(entry);
    else for (const name of await readdir(join(nodeModules, entry))) names.add(`${entry}/${name}`);
  }
  return names;
}

let work: string;
let tarballEntries: string[];
let installDir: string;
let main: string;

describe('the packed package, installed with production dependencies only', () => {
  beforeAll(async () => {
    expect(process.versions.node.split('.')[0]).toBe('24');
    work = await mkdtemp(join(tmpdir(), 'packed-install-'));
    await npm(['run', 'build'], ROOT);
    const packed = JSON.parse(await npm(['pack', '--json', '--pack-destination', work], ROOT)) as [{ filename: string }];
    const tarball = join(work, packed[0].filename);
    // The tarball itself, not npm's account of it.
    tarballEntries = (await succeed('tar', ['-tzf', tarball], { cwd: work })).trim().split('\n');

    installDir = join(work, 'install');
    await mkdir(installDir);
    await writeFile(join(installDir, 'package.json'), `${JSON.stringify({ name: 'packed-install-check', private: true })}\n`);
    await npm(['install', '--omit=dev', '--no-audit', '--no-fund', '--prefix', installDir, tarball], installDir);
    main = join(installDir, 'node_modules', PACKAGE.name, 'dist', 'cli', 'main.js');
  }, 3 * NPM_TIMEOUT_MS);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('ships dist/ and only npm`s own package.json, README and LICENSE besides', () => {
    const files = tarballEntries.filter((entry) => !entry.endsWith('/')).map((entry) => entry.replace(/^package\//, ''));
    const outside = files.filter((file) => !file.startsWith('dist/') && !/^(package\.json|README(\.md)?|LICENSE(\.md|\.txt)?)$/i.test(file));
    expect(outside).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(['package.json', 'dist/cli/main.js', 'dist/planner/schema/server.schema.json']));
    expect(files.filter((file) => /(^|\/)(src|test|bench|scripts|examples)\//.test(file) || /\.ts$/.test(file))).toEqual([]);
  });

  it('installs the dependencies and none of the development-only ones', async () => {
    const installed = await packagesIn(join(installDir, 'node_modules'));
    expect([...installed]).toEqual(expect.arrayContaining([PACKAGE.name, ...Object.keys(PACKAGE.dependencies)]));
    // Development-only by the lockfile (@types/node, say, also comes with @kubernetes/client-node).
    const lock = JSON.parse(await readFile(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    const devOnly = Object.keys(PACKAGE.devDependencies).filter((name) => lock.packages[`node_modules/${name}`]?.dev === true);
    expect(devOnly).toEqual(expect.arrayContaining(['typescript', 'vitest', 'node']));
    expect(devOnly.filter((name) => installed.has(name))).toEqual([]);
  });

  it('--help exits 0 and lists the commands', async () => {
    const help = await run(NODE, [main, '--help'], { cwd: installDir });
    expect(help.stderr).toBe('');
    expect(help.code).toBe(0);
    const commands = [...help.stdout.matchAll(/^ {2}(\w+)\b/gm)].map((match) => match[1]);
    expect(commands).toEqual(expect.arrayContaining(['validate', 'plan', 'webhook', 'publisher', 'run', 'diff', 'certs']));
  });

  it('plans the examples (the planner and its JSON schema are in the package)', async () => {
    const plan = await run(NODE, [main, 'plan', '-f', join(ROOT, 'examples'), '-o', 'json'], { cwd: installDir });
    expect(plan.stderr).toBe('');
    expect(plan.code).toBe(0);
    expect(JSON.parse(plan.stdout).entries.length).toBeGreaterThan(0);
  });

  it('serves the webhook over HTTPS with certificates from its own certs command, and exits 0 on SIGTERM', async () => {
    const certs = join(work, 'certs');
    const made = await run(NODE, [main, 'certs', '--out', certs], { cwd: installDir });
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    const ca = await readFile(join(certs, 'ca.crt'), 'utf8');
    const port = await freePort();
    const args = [main, 'webhook', '--cluster-lookups', 'off', '--port', String(port), '--tls-cert', join(certs, 'tls.crt'), '--tls-key', join(certs, 'tls.key')];
    const webhook = spawn(NODE, args, { cwd: installDir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    webhook.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    webhook.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => webhook.on('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 20_000;
      while (!output.includes('admission webhook listening')) {
        if (Date.now() > deadline || webhook.exitCode !== null) throw new Error(`webhook did not start: ${output}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const client = httpsClient(port, ca);
      const health = await client.get('/healthz');
      client.close();
      expect(health.status).toBe(200);
    } finally {
      webhook.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(output).toContain('admission webhook stopped');
  });
});

// A light text check of the Dockerfile, not a build: the runtime stage must hold what the
// test above installed, nothing more, and run as a numeric non-root user.
const dockerfile = await readFile(join(ROOT, 'Dockerfile'), 'utf8');
const dockerignore = await readFile(join(ROOT, '.dockerignore'), 'utf8');

describe('Dockerfile (text only)', () => {
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const stages = instructions.reduce<string[][]>((all, line) => (/^FROM /i.test(line) ? [...all, [line]] : all.length ? [...all.slice(0, -1), [...all.at(-1)!, line]] : all), []);
  const build = stages[0]!;
  const runtime = stages.at(-1)!;

  it('builds on Node 24 with npm ci and npm run build, and installs production dependencies apart', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/^ARG NODE_VERSION=24\.\d+\.\d+$/m);
    expect(build[0]).toMatch(/^FROM node:\$\{NODE_VERSION\}-\S+ AS build$/);
    expect(build).toContain('RUN npm ci --no-audit --no-fund');
    expect(build).toContain('RUN npm run build');
    expect(build.join('\n')).toMatch(/WORKDIR \/prod\nRUN cp \/src\/package\.json \/src\/package-lock\.json \.\/ +&& npm ci --omit=dev/);
  });

  it('copies exactly dist, package.json and the production node_modules into the runtime stage', () => {
    expect(runtime[0]).toMatch(/^FROM gcr\.io\/distroless\/nodejs24-\S+:nonroot$/);
    expect(runtime.filter((line) => /^(COPY|ADD) /i.test(line))).toEqual([
      'COPY --from=build /src/dist /app/dist',
      'COPY --from=build /prod/package.json /app/package.json',
      'COPY --from=build /prod/node_modules /app/node_modules',
    ]);
    expect(runtime).toContain('WORKDIR /app');
  });

  it('runs dist/cli/main.js as user 65532, `run` by default, on 8443', () => {
    const users = runtime.filter((line) => line.startsWith('USER '));
    expect(users).toEqual(['USER 65532:65532']);
    expect(runtime).toContain('ENTRYPOINT ["/nodejs/bin/node", "/app/dist/cli/main.js"]');
    expect(runtime).toContain('CMD ["run"]');
    expect(runtime).toContain('EXPOSE 8443');
    // The last instructions: nothing after USER may switch back to root.
    expect(runtime.indexOf(users[0]!)).toBeGreaterThan(Math.max(...runtime.map((line, index) => (/^(COPY|RUN) /.test(line) ? index : -1))));
  });

  it('keeps everything out of the build context but what the build stage copies', () => {
    const patterns = dockerignore.split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
    expect(patterns[0]).toBe('*');
    const allowed = patterns.slice(1).map((pattern) => {
      expect(pattern.startsWith('!')).toBe(true);
      return pattern.slice(1).replace(/\/$/, '');
    });
    const copied = build.filter((line) => line.startsWith('COPY ') && !line.includes('--from=')).flatMap((line) => line.split(/\s+/).slice(1, -1));
    expect(copied.sort()).toEqual(allowed.sort());
  });
});
