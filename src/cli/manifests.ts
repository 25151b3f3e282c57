// Reads Kubernetes manifests for `validate` and `plan`: files, directories (recursive,
// *.yaml, *.yml, *.json), `-` for stdin; multi-document YAML and `kind: List`. Unreadable
// or unparsable input is a ManifestError that names the file and line.

import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../kubernetes/objects.ts';

export class ManifestError extends Error {}

export interface ManifestObject {
  object: KubeObject;
  /** `file:line` of the document, for messages. */
  source: string;
}

const MANIFEST_FILE = /\.(ya?ml|json)$/i;

async function expandPath(path: string): Promise<string[]> {
  if (path === '-') return ['-'];
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw new ManifestError(`${path}: cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  if (!info.isDirectory()) return [path];
  const entries = await readdir(path, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) files.push(...(await expandPath(child)));
    else if (MANIFEST_FILE.test(entry.name)) files.push(child);
  }
  return files;
}

async function readText(file: string, stdin: () => Promise<string>): Promise<string> {
  if (file === '-') return stdin();
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new ManifestError(`${file}: cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parse one file's text into objects (pure; exported for tests). */
export function parseManifests(text: string, name: string): ManifestObject[] {
  const objects: ManifestObject[] = [];
  for (const document of parseAllDocuments(text, { prettyErrors: false, uniqueKeys: false })) {
    const error = document.errors[0];
    if (error) {
      const line = error.linePos?.[0]?.line ?? lineOf(text, error.pos[0]);
      const column = error.linePos?.[0]?.col;
      throw new ManifestError(`${name}:${line}${column ? `:${column}` : ''}: cannot parse: ${error.message.split('\n')[0]}`);
    }
    const value: unknown = document.toJS({ maxAliasCount: 100 });
    const line = lineOf(text, document.range[0]);
    if (value === null || value === undefined) continue; // an empty document
    if (!isPlainObject(value)) throw new ManifestError(`${name}:${line}: a document is not a Kubernetes object`);
    const source = `${name}:${line}`;
    if (value.kind === 'List' || (typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items))) {
      for (const item of (value.items as unknown[] | undefined) ?? []) {
        if (!isPlainObject(item)) throw new ManifestError(`${source}: an item of the List is not a Kubernetes object`);
        objects.push({ object: item as KubeObject, source });
      }
    } else {
      objects.push({ object: value as KubeObject, source });
    }
  }
  return objects;
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Every object of every path, in input order. */
export async function loadManifests(paths: readonly string[], stdin: () => Promise<string> = readStdin): Promise<ManifestObject[]> {
  const objects: ManifestObject[] = [];
  let stdinUsed = false;
  for (const path of paths) {
    for (const file of await expandPath(path)) {
      if (file === '-') {
        if (stdinUsed) throw new ManifestError('-: standard input can be read only once');
        stdinUsed = true;
      }
      const name = file === '-' ? '<stdin>' : file;
      objects.push(...parseManifests(await readText(file, stdin), name));
    }
  }
  return objects;
}
