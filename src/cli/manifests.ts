// Reads Kubernetes manifests for `validate`, `plan` and `diff`: files, directories
// (recursive, *.yaml, *.yml, *.json, symbolic links followed), `-` for stdin; multi-document
// YAML and `kind: List`. Any input that cannot be read as Kubernetes objects -- unreadable,
// not UTF-8 text, binary, too large, unparsable, hostile (alias bombs, deep nesting, cycles),
// or not shaped like an object -- is a ManifestError whose one-line message names the file
// and, where there is one, the line. The limits are MANIFEST_LIMITS (documented in the README).

import { isUtf8 } from 'node:buffer';
import { open, readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Composer, LineCounter, Parser } from 'yaml';
import type { KubeObject } from '../kubernetes/objects.ts';

export class ManifestError extends Error {
  override name = 'ManifestError';
}

export interface ManifestObject {
  object: KubeObject;
  /** `file:line` of the document, for messages. */
  source: string;
}

/** What one invocation reads at most. Kubernetes itself stores objects of at most ~1.5 MiB. */
export const MANIFEST_LIMITS = {
  /** Bytes of one file or of stdin. */
  inputBytes: 32 * 1024 * 1024,
  /** YAML documents in one file or stdin. */
  documents: 10_000,
  /** Objects in all inputs together (List items count one each). */
  objects: 100_000,
  /** Nesting of mappings and sequences within one document. */
  depth: 100,
  /** Alias expansions within one document (yaml's maxAliasCount). */
  aliases: 100,
} as const;

const MANIFEST_FILE = /\.(ya?ml|json)$/i;
const MIB = 1024 * 1024;

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ELOOP: 'too many levels of symbolic links',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'is a directory',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'file name too long',
  EIO: 'input/output error',
};

function cannotRead(path: string, error: unknown, what = 'cannot read'): ManifestError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const detail = code ? `${code}${ERRNO_TEXT[code] ? ` (${ERRNO_TEXT[code]})` : ''}` : firstLine(error);
  return new ManifestError(`${path}: ${what}: ${detail}`, { cause: error });
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? '';
}

// ---- finding the files ----

/** A file named on the command line (its emptiness is an error) or found in a directory. */
interface InputFile {
  path: string;
  explicit: boolean;
}

async function expandPath(path: string): Promise<InputFile[]> {
  if (path === '-') return [{ path: '-', explicit: true }];
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw cannotRead(path, error);
  }
  // Anything but a directory is read as it is: a FIFO from `-f <(kustomize build)` too.
  if (!info.isDirectory()) return [{ path, explicit: true }];
  const files: InputFile[] = [];
  await walkDirectory(path, [await realDirectory(path)], files);
  return files;
}

async function realDirectory(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (error) {
    throw cannotRead(path, error);
  }
}

/** Depth-first, by name; `ancestors` are the real paths of the directories being walked. */
async function walkDirectory(directory: string, ancestors: readonly string[], files: InputFile[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(directory, { withFileTypes: true });
  } catch (error) {
    throw cannotRead(directory, error, 'cannot read the directory');
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const child = join(directory, entry.name);
    const manifestName = MANIFEST_FILE.test(entry.name);
    let isDirectory = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      let target;
      try {
        target = await stat(child);
      } catch (error) {
        // A dangling link is reported only where it would have been read.
        if (manifestName) throw cannotRead(child, error);
        continue;
      }
      isDirectory = target.isDirectory();
      isFile = target.isFile();
    }
    if (isDirectory) {
      const real = await realDirectory(child);
      const loop = ancestors.indexOf(real);
      if (loop >= 0) throw new ManifestError(`${child}: symbolic link loop: leads back to ${real}, a directory that is being read`);
      await walkDirectory(child, [...ancestors, real], files);
    } else if (manifestName) {
      if (!isFile) throw new ManifestError(`${child}: not a regular file (a socket, FIFO or device) in a directory`);
      files.push({ path: child, explicit: false });
    }
  }
}

// ---- reading bytes, within the size limit ----

function tooLarge(name: string): ManifestError {
  return new ManifestError(`${name}: larger than ${MANIFEST_LIMITS.inputBytes / MIB} MiB, the limit for one input; split it into several files`);
}

async function readFileCapped(path: string): Promise<Buffer> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw cannotRead(path, error);
  }
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1 * MIB, MANIFEST_LIMITS.inputBytes + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > MANIFEST_LIMITS.inputBytes) throw tooLarge(path);
    }
    return Buffer.concat(chunks, total);
  } catch (error) {
    if (error instanceof ManifestError) throw error;
    throw cannotRead(path, error);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** All of stdin, or a ManifestError once it passes the size limit. */
export async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of process.stdin) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      total += bytes.length;
      if (total > MANIFEST_LIMITS.inputBytes) {
        process.stdin.destroy();
        throw tooLarge('<stdin>');
      }
      chunks.push(bytes);
    }
  } catch (error) {
    if (error instanceof ManifestError) throw error;
    throw cannotRead('<stdin>', error);
  }
  return Buffer.concat(chunks, total);
}

// ---- bytes to text ----

/** 1-based line and column of a character offset in text. */
function positionIn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let index = text.indexOf('\n'); index !== -1 && index < offset; index = text.indexOf('\n', index + 1)) {
    line++;
    lineStart = index + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/** Offset of the first byte that does not belong to a well-formed UTF-8 sequence. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let index = 0;
  while (index < bytes.length) {
    const lead = bytes[index]!;
    const length = lead < 0x80 ? 1 : lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
    if (length === 0 || index + length > bytes.length) return index;
    const second = bytes[index + 1];
    if (length > 1) {
      const low = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
      const high = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
      if (second === undefined || second < low || second > high) return index;
      for (let k = 2; k < length; k++) if ((bytes[index + k]! & 0xc0) !== 0x80) return index;
    }
    index += length;
  }
  return bytes.length;
}

// Raw C0 control characters other than tab, LF and CR are allowed in neither YAML nor JSON.
const CONTROL_CHARACTER = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/;

/** Decode one input; binary data and other encodings than UTF-8 are errors. */
export function decodeManifestText(bytes: Uint8Array, name: string): string {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new ManifestError(`${name}: UTF-16 text; manifests are read as UTF-8 (convert it, e.g. with iconv -f UTF-16 -t UTF-8)`);
  }
  if (!isUtf8(bytes)) {
    const offset = firstInvalidUtf8(bytes);
    let line = 1;
    for (let i = 0; i < offset; i++) if (bytes[i] === 10) line++;
    const byte = bytes[offset]?.toString(16).padStart(2, '0') ?? '';
    throw new ManifestError(`${name}:${line}: not UTF-8 text (byte 0x${byte}); binary data, or another encoding than UTF-8?`);
  }
  return checkManifestText(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'), name);
}

/** Text with a control character YAML and JSON forbid is binary data; a byte order mark is dropped. */
export function checkManifestText(text: string, name: string): string {
  const control = CONTROL_CHARACTER.exec(text);
  if (control) {
    const { line, column } = positionIn(text, control.index);
    const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    throw new ManifestError(`${name}:${line}:${column}: control character U+${code}, not allowed in YAML or JSON (binary data?)`);
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

// ---- text to objects ----

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a sequence';
  if (isPlainObject(value)) return 'a mapping';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  if (typeof value === 'object') return `a ${value.constructor?.name ?? 'non-JSON'} value`;
  return `the ${typeof value} ${String(value)}`;
}

/**
 * Why a parsed value is not JSON data (a cycle through aliases, nesting past the limit,
 * a !!binary or !!set value), or undefined. Recursion is bounded by the depth limit.
 */
function dataProblem(value: unknown, depth: number, ancestors: Set<object>): string | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return undefined;
  if (!Array.isArray(value) && !isPlainObject(value)) return `the document holds ${describe(value)}, not JSON data (a !!binary, !!set or other tag?)`;
  if (depth > MANIFEST_LIMITS.depth) return `the document is nested more than ${MANIFEST_LIMITS.depth} levels deep (the limit)`;
  if (ancestors.has(value)) return 'a YAML alias refers to a node that contains it (a cycle)';
  ancestors.add(value);
  for (const child of Array.isArray(value) ? value : Object.values(value)) {
    const problem = dataProblem(child, depth + 1, ancestors);
    if (problem) return problem;
  }
  ancestors.delete(value);
  return undefined;
}

function stringMapProblem(map: unknown, field: string): string | undefined {
  if (map === undefined || map === null) return undefined;
  if (!isPlainObject(map)) return `${field} is ${describe(map)}, not a mapping of strings`;
  for (const [key, value] of Object.entries(map)) {
    if (typeof value !== 'string') {
      const hint = typeof value === 'boolean' || typeof value === 'number' ? '; quote it' : '';
      return `${field}[${JSON.stringify(key)}] is ${describe(value)}, not a string${hint}`;
    }
  }
  return undefined;
}

/** What keeps a mapping from decoding as a Kubernetes object (kubectl refuses the same), or undefined. */
function objectProblem(object: Record<string, unknown>): string | undefined {
  for (const field of ['apiVersion', 'kind'] as const) {
    if (object[field] !== undefined && object[field] !== null && typeof object[field] !== 'string') return `${field} is ${describe(object[field])}, not a string`;
  }
  const metadata = object.metadata;
  if (metadata === undefined || metadata === null) return undefined;
  if (!isPlainObject(metadata)) return `metadata is ${describe(metadata)}, not a mapping`;
  for (const field of ['name', 'namespace', 'uid', 'resourceVersion'] as const) {
    const value = metadata[field];
    if (value !== undefined && value !== null && typeof value !== 'string') return `metadata.${field} is ${describe(value)}, not a string`;
  }
  return stringMapProblem(metadata.annotations, 'metadata.annotations') ?? stringMapProblem(metadata.labels, 'metadata.labels');
}

function objectName(object: Record<string, unknown>): string {
  const metadata = isPlainObject(object.metadata) ? object.metadata : {};
  const kind = typeof object.kind === 'string' && object.kind ? object.kind : 'object';
  const name = typeof metadata.name === 'string' ? metadata.name : '';
  const namespace = typeof metadata.namespace === 'string' ? `${metadata.namespace}/` : '';
  return name ? `${kind} ${namespace}${name}` : kind;
}

function isListKind(value: Record<string, unknown>): boolean {
  return value.kind === 'List' || (typeof value.kind === 'string' && value.kind.endsWith('List') && 'items' in value);
}

/** The parser's own failures (it catches its stack overflows itself) as ManifestErrors. */
function* iterate<T>(documents: Iterator<T>, name: string): Generator<T> {
  for (;;) {
    let next;
    try {
      next = documents.next();
    } catch (error) {
      throw new ManifestError(`${name}: cannot parse: ${firstLine(error)}`, { cause: error });
    }
    if (next.done) return;
    yield next.value;
  }
}

/** Parse one input's text into objects (pure; exported for tests). */
export function parseManifests(text: string, name: string): ManifestObject[] {
  const lineCounter = new LineCounter();
  const lineOf = (offset: number): number => Math.max(1, lineCounter.linePos(offset).line);
  const objects: ManifestObject[] = [];
  // Streamed, so the document limit stops the parser instead of counting after it.
  const documents = new Composer({ prettyErrors: false, uniqueKeys: false }).compose(new Parser(lineCounter.addNewLine).parse(text));
  let count = 0;
  for (const document of iterate(documents, name)) {
    if (++count > MANIFEST_LIMITS.documents) {
      throw new ManifestError(`${name}:${lineOf(document.range[0])}: more than ${MANIFEST_LIMITS.documents} YAML documents (the limit for one input); split it into several files`);
    }
    const error = document.errors[0];
    if (error) {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      const at = `${name}:${Math.max(1, line)}${col > 0 && line > 0 ? `:${col}` : ''}`;
      if (error.code === 'RESOURCE_EXHAUSTION') {
        throw new ManifestError(`${at}: nested too deeply to parse (the limit is ${MANIFEST_LIMITS.depth} levels)`, { cause: error });
      }
      throw new ManifestError(`${at}: cannot parse: ${firstLine(error)}`, { cause: error });
    }
    const source = `${name}:${lineOf(document.range[0])}`;
    let value: unknown;
    try {
      value = document.toJS({ maxAliasCount: MANIFEST_LIMITS.aliases });
    } catch (error) {
      if (error instanceof ReferenceError && /alias/i.test(error.message)) {
        throw new ManifestError(`${source}: YAML aliases expand too much (more than ${MANIFEST_LIMITS.aliases} alias expansions in a document; an alias bomb?)`, { cause: error });
      }
      if (error instanceof RangeError) throw new ManifestError(`${source}: nested too deeply to read (the limit is ${MANIFEST_LIMITS.depth} levels)`, { cause: error });
      throw new ManifestError(`${source}: cannot parse: ${firstLine(error)}`, { cause: error });
    }
    if (value === null || value === undefined) continue; // an empty document
    const problem = dataProblem(value, 1, new Set());
    if (problem) throw new ManifestError(`${source}: ${problem}`);
    if (!isPlainObject(value)) throw new ManifestError(`${source}: a document is not a Kubernetes object: it is ${describe(value)}, not a mapping with apiVersion and kind`);
    if (isListKind(value)) {
      const items = value.items ?? [];
      if (!Array.isArray(items)) throw new ManifestError(`${source}: the items of the ${String(value.kind)} are ${describe(items)}, not a sequence`);
      for (const [index, item] of items.entries()) {
        if (!isPlainObject(item)) throw new ManifestError(`${source}: item ${index} of the List is not a Kubernetes object: it is ${describe(item)}`);
        const itemProblem = objectProblem(item);
        if (itemProblem) throw new ManifestError(`${source}: item ${index} of the List (${objectName(item)}): ${itemProblem}`);
        objects.push({ object: item as KubeObject, source });
      }
    } else {
      const shapeProblem = objectProblem(value);
      if (shapeProblem) throw new ManifestError(`${source}: ${objectName(value)}: ${shapeProblem}`);
      objects.push({ object: value as KubeObject, source });
    }
  }
  return objects;
}

/** Every object of every path, in input order. */
export async function loadManifests(paths: readonly string[], stdin: () => Promise<string | Uint8Array> = readStdin): Promise<ManifestObject[]> {
  const objects: ManifestObject[] = [];
  let stdinUsed = false;
  for (const path of paths) {
    for (const file of await expandPath(path)) {
      const name = file.path === '-' ? '<stdin>' : file.path;
      let text: string;
      if (file.path === '-') {
        if (stdinUsed) throw new ManifestError('-: standard input can be read only once');
        stdinUsed = true;
        const input = await stdin();
        if ((typeof input === 'string' ? Buffer.byteLength(input) : input.byteLength) > MANIFEST_LIMITS.inputBytes) throw tooLarge(name);
        text = typeof input === 'string' ? checkManifestText(input, name) : decodeManifestText(input, name);
      } else {
        text = decodeManifestText(await readFileCapped(file.path), name);
      }
      if (file.explicit && text.trim() === '') {
        throw new ManifestError(file.path === '-' ? '<stdin>: empty: nothing was read from standard input' : `${name}: empty file`);
      }
      objects.push(...parseManifests(text, name));
      if (objects.length > MANIFEST_LIMITS.objects) {
        throw new ManifestError(`${name}: more than ${MANIFEST_LIMITS.objects} objects in all inputs together (the limit)`);
      }
    }
  }
  return objects;
}
