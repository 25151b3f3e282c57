// The entry point refuses a Node.js older than 24 with one line that says which Node to use,
// before it loads anything that would fail there first (undici, for one, throws a TypeError
// at import time on Node 20). The real check runs the built entry (dist/cli/main.js, as
// package.json "bin" and the image run it) on the machine's own older Node when there is
// one; a faked process.versions runs the same code path on this Node everywhere.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from './run-cli.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ONE_LINE = /^error: mcp-registry-export needs Node\.js 24 or newer, and this is Node\.js v(\d+)\.\d+\.\d+ \([^)\n]+\); in its repository, run it with npx or npm run, which use the project's own Node\.js 24 \(devDependency "node"\)\n$/;

/** A Node.js older than 24 on PATH (the system's), if this machine has one. */
function olderNode(): string | undefined {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node', 'node']) {
    const probe = spawnSync(candidate, ['-p', 'process.versions.node'], { encoding: 'utf8' });
    const major = Number(probe.stdout?.split('.')[0]);
    if (probe.status === 0 && major > 0 && major < 24) return candidate;
  }
  return undefined;
}

const OLDER_NODE = olderNode();

describe('the Node.js version check', { timeout: 60_000 }, () => {
  it('with process.versions faked to 20.11.1, prints one line and exits 2 without loading the program', () => {
    // The preload fails the run if program.ts is ever requested: the check must come first.
    const preload = `data:text/javascript,${encodeURIComponent(`
      Object.defineProperty(process, 'versions', { value: { ...process.versions, node: '20.11.1' } });
      Object.defineProperty(process, 'version', { value: 'v20.11.1' });
      import { registerHooks } from 'node:module';
      registerHooks({ resolve(specifier, context, next) {
        if (/program\\.(ts|js)$/.test(specifier)) throw new Error('program loaded before the version check');
        return next(specifier, context);
      } });
    `)}`;
    const result = spawnSync(process.execPath, ['--import', preload, CLI, 'validate', '-f', '-'], { input: '', encoding: 'utf8' });
    expect(result.stderr).toMatch(ONE_LINE);
    expect(ONE_LINE.exec(result.stderr)?.[1]).toBe('20');
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
  });

  it('on this Node.js 24 it runs the program', () => {
    const result = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Usage: mcp-registry-export');
  });

  describe.skipIf(!OLDER_NODE)(`the built entry on the machine's older Node.js (${OLDER_NODE ?? 'none found'})`, () => {
    let dist: string;
    beforeAll(() => {
      dist = mkdtempSync(join(tmpdir(), 'node-version-dist-'));
      execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', dist], { cwd: ROOT, stdio: 'pipe' });
    }, 120_000);
    afterAll(() => rmSync(dist, { recursive: true, force: true }));

    it('prints the one line for every command and exits 2', () => {
      const entry = join(dist, 'cli', 'main.js');
      expect(readFileSync(entry, 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
      for (const args of [['validate', '-f', join(ROOT, 'examples')], ['plan', '-f', '-'], ['webhook'], ['--help']]) {
        const result = spawnSync(OLDER_NODE!, [entry, ...args], { input: '', encoding: 'utf8', cwd: ROOT });
        expect(result.stderr).toMatch(ONE_LINE);
        expect(Number(ONE_LINE.exec(result.stderr)?.[1])).toBeLessThan(24);
        expect(result.status).toBe(2);
        expect(result.stdout).toBe('');
      }
    });
  });
});
