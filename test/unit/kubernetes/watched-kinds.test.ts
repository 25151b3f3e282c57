// The ToolHive kinds the informers watch agree with ToolHive's CRDs (shared/reference):
// the plural, and exactly the served versions, storage version first.

import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ANNOTATED_MCP_KINDS, TOOLHIVE_GROUP } from '../../../src/kubernetes/kinds.ts';
import { DEFAULT_WATCHED_KINDS } from '../../../src/kubernetes/watched-kinds.ts';

const CRD_DIR = fileURLToPath(new URL('../../../../shared/reference/toolhive-crds/', import.meta.url));

interface Crd {
  spec: { group: string; names: { kind: string; plural: string }; versions: { name: string; served: boolean; storage: boolean }[] };
}

const crds = new Map<string, Crd>();
for (const file of readdirSync(CRD_DIR).filter((name) => name.endsWith('.yaml'))) {
  for (const document of parseAllDocuments(readFileSync(`${CRD_DIR}${file}`, 'utf8'))) {
    const crd = document.toJS() as Crd & { kind?: string };
    if (crd?.kind === 'CustomResourceDefinition') crds.set(crd.spec.names.kind, crd);
  }
}

describe('watched ToolHive kinds', () => {
  it('every MCP kind of the contract, MCPServerEntry included, is watched', () => {
    const watched = DEFAULT_WATCHED_KINDS.filter((kind) => kind.group === TOOLHIVE_GROUP).map((kind) => kind.kind);
    expect(watched).toEqual(expect.arrayContaining([...ANNOTATED_MCP_KINDS]));
  });

  it.each(DEFAULT_WATCHED_KINDS.filter((kind) => kind.group === TOOLHIVE_GROUP).map((kind) => [kind.kind, kind] as const))('%s: plural and served versions from its CRD, storage first', (name, kind) => {
    const crd = crds.get(name);
    expect(crd, `a CRD for ${name} in shared/reference/toolhive-crds`).toBeDefined();
    expect(crd!.spec.group).toBe(TOOLHIVE_GROUP);
    expect(kind.plural).toBe(crd!.spec.names.plural);
    const served = crd!.spec.versions.filter((version) => version.served);
    const storage = served.find((version) => version.storage)!.name;
    expect(kind.versions[0]).toBe(storage);
    expect([...kind.versions].sort()).toEqual(served.map((version) => version.name).sort());
  });
});
