// What every publisher end-to-end file starts with: a control plane and the real upstream
// registry side by side, the publisher cluster's base objects applied, and a working
// directory with a registry token that may publish the default prefix's names.
//
//   let world: PublisherWorld;
//   beforeAll(async () => (world = await startPublisherWorld('holds')), 240_000);
//   afterAll(() => world?.stop());

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane, type ControlPlane, type ControlPlaneOptions } from './control-plane.ts';
import { apply, baseObjects } from './publisher-cluster.ts';
import { startRegistry, type RegistryServer } from './registry-server.ts';

export interface PublisherWorld {
  cluster: ControlPlane;
  registry: RegistryServer;
  /** A temporary directory, removed by stop(). */
  dir: string;
  /** Bearer token for `com.toolhive.k8s.*` (an hour). */
  tokenFile: string;
  /** Stops the registry and the control plane, and removes `dir`. */
  stop(): Promise<void>;
}

export async function startPublisherWorld(label: string, options: { controlPlane?: ControlPlaneOptions; baseObjects?: boolean } = {}): Promise<PublisherWorld> {
  const [cluster, registry] = await Promise.all([startControlPlane(options.controlPlane), startRegistry()]);
  const dir = mkdtempSync(join(tmpdir(), `mcp-registry-export-${label}-`));
  const tokenFile = join(dir, 'token');
  const stop = async () => {
    await Promise.all([cluster.stop(), registry.stop()]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    writeFileSync(tokenFile, registry.mintToken([{ action: 'publish', resource: 'com.toolhive.k8s.*' }], 3600));
    if (options.baseObjects !== false) await apply(cluster, baseObjects());
  } catch (error) {
    await stop();
    throw error;
  }
  return { cluster, registry, dir, tokenFile, stop };
}
