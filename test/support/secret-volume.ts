// A directory laid out the way the kubelet mounts a Secret (its AtomicWriter): the files
// live in a timestamped directory, `..data` links to it, each visible name links into
// `..data`, and an update swaps `..data` with one rename. Tests of certificate reloading
// use it so they exercise what a real rotation looks like on disk.

import { mkdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

let generation = 0;

async function writeGeneration(volume: string, files: Record<string, string>): Promise<string> {
  const name = `..${new Date().toISOString().replace(/[-:.TZ]/g, '_')}${process.pid}_${++generation}`;
  await mkdir(join(volume, name));
  for (const [file, content] of Object.entries(files)) await writeFile(join(volume, name, file), content);
  return name;
}

export async function createSecretVolume(volume: string, files: Record<string, string>): Promise<void> {
  await mkdir(volume, { recursive: true });
  const name = await writeGeneration(volume, files);
  await symlink(name, join(volume, '..data'));
  for (const file of Object.keys(files)) await symlink(join('..data', file), join(volume, file));
}

export async function updateSecretVolume(volume: string, files: Record<string, string>): Promise<void> {
  const previous = await readlink(join(volume, '..data'));
  const name = await writeGeneration(volume, files);
  await symlink(name, join(volume, '..data_tmp'));
  await rename(join(volume, '..data_tmp'), join(volume, '..data'));
  await rm(join(volume, previous), { recursive: true, force: true });
}
