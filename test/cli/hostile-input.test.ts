// Bad and hostile input for every command that reads manifests (validate, plan, diff):
// each is refused with exactly one line on stderr that names the file (and the line where
// there is one), exit code 2, nothing on stdout and never a stack trace; --debug and DEBUG
// add the trace. The reading itself (loadManifests) gets the whole table in-process; the
// real command line gets each input through one of the commands, the alias bomb through all.

import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { loadManifests, ManifestError, MANIFEST_LIMITS } from '../../src/cli/manifests.ts';
import { runCli } from './run-cli.ts';

const work = mkdtempSync(join(tmpdir(), 'hostile-input-'));
chmodSync(work, 0o755); // the unreadable-file cases run the CLI as nobody, who must reach the rest
afterAll(() => rmSync(work, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const path = join(work, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
  return path;
}

const ROUTE = 'apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: r\n  namespace: mcp\n';

/** Nested aliases, each level ten references to the one before: 10^12 nodes if expanded. */
function aliasBomb(levels = 12): string {
  let text = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n  l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n';
  for (let level = 1; level < levels; level++) text += `  l${level}: &l${level} [${Array(10).fill(`*l${level - 1}`).join(', ')}]\n`;
  return text;
}

// A directory whose subdirectory links back to it.
const loopDirectory = join(work, 'loop');
mkdirSync(join(loopDirectory, 'sub'), { recursive: true });
writeFileSync(join(loopDirectory, 'sub', 'a.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n');
symlinkSync('..', join(loopDirectory, 'sub', 'back'));
// A directory holding a link to nothing, named like a manifest.
const danglingDirectory = join(work, 'dangling');
mkdirSync(danglingDirectory);
symlinkSync(join(work, 'nowhere.yaml'), join(danglingDirectory, 'gone.yaml'));

interface Case {
  name: string;
  /** The -f argument. */
  path: string;
  stdin?: string | Buffer;
  /** The whole line after `error: `. */
  message: RegExp;
}

const cases: Case[] = [
  { name: 'an alias bomb', path: file('bomb.yaml', aliasBomb()), message: /^.*bomb\.yaml:1: YAML aliases expand too much \(more than 100 alias expansions in a document; an alias bomb\?\)$/ },
  { name: 'nesting the parser cannot follow (YAML flow)', path: file('deep.yaml', `${'['.repeat(50_000)}${']'.repeat(50_000)}\n`), message: /deep\.yaml:1:\d+: nested too deeply to parse \(the limit is 100 levels\)$/ },
  { name: 'nesting the parser cannot follow (block mappings)', path: file('deep-block.yaml', `${Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i)}k:`).join('\n')} v\n`), message: /deep-block\.yaml:\d+:\d+: nested too deeply to parse/ },
  { name: 'nesting past the limit (JSON)', path: file('deep.json', `{"apiVersion": "v1", "kind": "ConfigMap", "data": ${'['.repeat(150)}1${']'.repeat(150)}}`), message: /deep\.json:1: the document is nested more than 100 levels deep \(the limit\)$/ },
  { name: 'a huge scalar', path: file('huge.yaml', `${ROUTE}spec:\n  x: "${'x'.repeat(MANIFEST_LIMITS.inputBytes)}"\n`), message: /huge\.yaml: larger than 32 MiB, the limit for one input; split it into several files$/ },
  { name: 'huge stdin', path: '-', stdin: Buffer.alloc(MANIFEST_LIMITS.inputBytes + 10, 'a'), message: /^<stdin>: larger than 32 MiB/ },
  { name: 'binary data (gzip)', path: file('archive.yaml', gzipSync(Buffer.from(ROUTE.repeat(50)))), message: /archive\.yaml:\d+: not UTF-8 text \(byte 0x[0-9a-f]{2}\); binary data, or another encoding than UTF-8\?$/ },
  { name: 'a NUL byte in text', path: file('nul.yaml', `${ROUTE}spec:\n  a: b\u0000c\n`), message: /nul\.yaml:7:7: control character U\+0000, not allowed in YAML or JSON \(binary data\?\)$/ },
  { name: 'UTF-16 text', path: file('utf16.yaml', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(ROUTE, 'utf16le')])), message: /utf16\.yaml: UTF-16 text; manifests are read as UTF-8/ },
  { name: 'Latin-1 text', path: file('latin1.yaml', Buffer.from(`${ROUTE}  labels: {team: caf\u00e9}\n`, 'latin1')), message: /latin1\.yaml:6: not UTF-8 text \(byte 0xe9\)/ },
  { name: 'a directory loop through symbolic links', path: loopDirectory, message: /loop\/sub\/back: symbolic link loop: leads back to .*loop, a directory that is being read$/ },
  { name: 'a dangling symbolic link in a directory', path: danglingDirectory, message: /dangling\/gone\.yaml: cannot read: ENOENT \(no such file or directory\)$/ },
  { name: 'a missing file', path: join(work, 'missing.yaml'), message: /missing\.yaml: cannot read: ENOENT \(no such file or directory\)$/ },
  { name: 'an empty stdin', path: '-', stdin: '', message: /^<stdin>: empty: nothing was read from standard input$/ },
  { name: 'an empty file named on the command line', path: file('empty.yaml', '  \n'), message: /empty\.yaml: empty file$/ },
  { name: 'broken YAML', path: file('broken.yaml', `${ROUTE}spec: {rules: [unclosed\n`), message: /broken\.yaml:\d+:\d+: cannot parse: / },
  { name: 'broken JSON', path: file('broken.json', '{"apiVersion": "v1", "kind": "ConfigMap",, }'), message: /broken\.json:1:\d+: cannot parse: / },
  { name: 'a scalar document', path: '-', stdin: 'just a string\n', message: /^<stdin>:1: a document is not a Kubernetes object: it is the string "just a string"/ },
  { name: 'a List whose items are not a sequence', path: '-', stdin: 'apiVersion: v1\nkind: List\nitems: 5\n', message: /^<stdin>:1: the items of the List are the number 5, not a sequence$/ },
  { name: 'an unquoted boolean annotation', path: '-', stdin: `${ROUTE}  annotations:\n    toolhive.stacklok.dev/registry-export: true\n`, message: /^<stdin>:1: HTTPRoute mcp\/r: metadata\.annotations\["toolhive\.stacklok\.dev\/registry-export"\] is the boolean true, not a string; quote it$/ },
  { name: 'metadata that is not a mapping', path: '-', stdin: 'apiVersion: v1\nkind: ConfigMap\nmetadata: [a]\n', message: /^<stdin>:1: ConfigMap: metadata is a sequence, not a mapping$/ },
  { name: 'an alias cycle', path: '-', stdin: `${ROUTE}spec: &s {self: *s}\n`, message: /^<stdin>:1: a YAML alias refers to a node that contains it \(a cycle\)$/ },
  { name: 'a !!binary value', path: '-', stdin: `${ROUTE}spec: {blob: !!binary aGVsbG8=}\n`, message: /^<stdin>:1: the document holds a Buffer value, not JSON data \(a !!binary, !!set or other tag\?\)$/ },
  { name: 'the second document of many bad', path: '-', stdin: `${ROUTE}---\n${ROUTE}---\n: : :\n`, message: /^<stdin>:\d+(:\d+)?: cannot parse: / },
];

function run(args: readonly string[], options: { stdin?: string | Buffer; env?: Record<string, string>; asNobody?: boolean } = {}) {
  return runCli(args, options.stdin, { env: { DEBUG: '', MCP_REGISTRY_EXPORT_DEBUG: '', ...options.env }, ...(options.asNobody ? { asNobody: true } : {}) });
}

const COMMANDS: Record<string, string[]> = {
  validate: ['validate'],
  plan: ['plan', '-o', 'json'],
  // Reading fails before the registry would be asked; nothing listens there.
  diff: ['diff', '--registry-url', 'http://127.0.0.1:9', '--owner', 'o'],
};

function expectOneLineError(result: { code: number | null; stdout: string; stderr: string }, message: RegExp): void {
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr).toMatch(/^error: [^\n]*\n$/);
  expect(result.stderr.slice('error: '.length, -1)).toMatch(message);
  expect(result.stderr).not.toMatch(/node_modules|\bat .*:\d+:\d+\)?$/m);
}

describe('reading manifests refuses bad input with one line naming the file', () => {
  it.each(cases)('$name', async ({ path, stdin, message }) => {
    const error = await loadManifests([path], async () => (typeof stdin === 'string' ? stdin : (stdin ?? Buffer.alloc(0)))).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ManifestError);
    const text = (error as ManifestError).message;
    expect(text).not.toContain('\n');
    expect(text).toMatch(message);
  });

  it('still reads good manifests through links to directories and files', async () => {
    const linked = join(work, 'linked');
    mkdirSync(join(linked, 'real'), { recursive: true });
    writeFileSync(join(linked, 'real', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: real}\n');
    mkdirSync(join(work, 'elsewhere'), { recursive: true });
    writeFileSync(join(work, 'elsewhere', 'other.yml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other}\n');
    symlinkSync(join(work, 'elsewhere'), join(linked, 'via-link'));
    symlinkSync(join(linked, 'real', 'cm.yaml'), join(linked, 'z-file-link.yaml'));
    const objects = await loadManifests([linked]);
    expect(objects.map((object) => `${object.source.slice(linked.length)} ${object.object.metadata?.name}`)).toEqual([
      '/real/cm.yaml:1 real',
      '/via-link/other.yml:1 other',
      '/z-file-link.yaml:1 real',
    ]);
  });

  it('reads a UTF-8 byte order mark, comments only and empty documents without complaint', async () => {
    const objects = await loadManifests(['-'], async () => Buffer.from(`\ufeff# comment\n---\n---\n${ROUTE}`));
    expect(objects.map((object) => object.object.kind)).toEqual(['HTTPRoute']);
  });

  it(`stops at ${MANIFEST_LIMITS.documents} documents in one input`, async () => {
    const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\n'.repeat(MANIFEST_LIMITS.documents + 1);
    await expect(loadManifests(['-'], async () => text)).rejects.toThrow(
      new RegExp(`^<stdin>:${4 * MANIFEST_LIMITS.documents}: more than ${MANIFEST_LIMITS.documents} YAML documents \\(the limit for one input\\)`),
    );
  });
});

// Several CLIs at once, each loading the program: slow on a loaded machine, hence the timeout.
describe.concurrent('the command line', { timeout: 90_000 }, () => {
  it.each(Object.keys(COMMANDS))('%s: an alias bomb is one line, exit 2', async (command) => {
    const bomb = cases[0]!;
    expectOneLineError(await run([...COMMANDS[command]!, '-f', bomb.path]), bomb.message);
  });

  // Every case shares loadManifests (above); these are the ways it gets its input, over the commands.
  const throughTheCli = ['a huge scalar', 'huge stdin', 'binary data (gzip)', 'a directory loop through symbolic links', 'an empty stdin', 'an unquoted boolean annotation', 'broken YAML'];
  const selected = cases.filter((entry) => throughTheCli.includes(entry.name));
  it.each(selected.map((entry, index) => ({ ...entry, command: Object.keys(COMMANDS)[index % 3]! })))('$command: $name', async ({ command, path, stdin, message }) => {
    expectOneLineError(await run([...COMMANDS[command]!, '-f', path], stdin === undefined ? {} : { stdin }), message);
  });

  it.runIf(process.getuid?.() === 0)('validate, plan: an unreadable file and directory (as nobody)', async () => {
    const secret = file('locked/secret.yaml', ROUTE);
    chmodSync(secret, 0o000);
    const closed = join(work, 'closed');
    mkdirSync(join(closed, 'inner'), { recursive: true });
    chmodSync(join(closed, 'inner'), 0o000);
    expectOneLineError(await run(['validate', '-f', secret], { asNobody: true }), /secret\.yaml: cannot read: EACCES \(permission denied\)$/);
    expectOneLineError(await run(['plan', '-f', closed], { asNobody: true }), /closed\/inner: cannot read the directory: EACCES \(permission denied\)$/);
  });

  it('--debug, DEBUG=mcp-registry-export and MCP_REGISTRY_EXPORT_DEBUG=1 add the stack trace', async () => {
    const bomb = cases[0]!.path;
    for (const [args, env] of [
      [['validate', '-f', bomb, '--debug'], {}],
      [['--debug', 'plan', '-f', bomb], {}],
      [['validate', '-f', bomb], { DEBUG: 'express:*,mcp-registry-export' }],
      [['validate', '-f', bomb], { MCP_REGISTRY_EXPORT_DEBUG: '1' }],
    ] as const) {
      const result = await run(args, { env });
      expect(result.code).toBe(2);
      const [first, ...rest] = result.stderr.split('\n');
      expect(first).toMatch(/^error: .*bomb\.yaml:1: YAML aliases expand too much/);
      expect(rest.join('\n')).toMatch(/ManifestError: .*\n\s+at parseManifests/);
      expect(rest.join('\n')).toMatch(/caused by: ReferenceError: Excessive alias count/);
    }
    // Other DEBUG namespaces leave the output alone.
    expectOneLineError(await run(['validate', '-f', bomb], { env: { DEBUG: 'express:*' } }), cases[0]!.message);
  });
});
