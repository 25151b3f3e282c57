// Validation of entries: the official server.json schema (2025-12-11, vendored unchanged in
// schema/server.schema.json) plus an overlay with what the official registry also rejects
// although the schema allows it (research/mcp-registry.md 1.9): unknown properties, the
// stricter name rule, `latest` and version ranges, https-only icons, the 4096-byte
// publisher-provided limit, and for the upstream flavor http or loopback remotes.

import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import { fullNameProblem } from '../contract/registry-name.ts';
import { VALUE_RULES } from '../contract/value-rules.ts';
import type { RegistryFlavor } from './options.ts';
import { marshaledJsonBytes, MAX_PUBLISHER_PROVIDED_BYTES } from './publisher-provided.ts';
import serverSchema from './schema/server.schema.json' with { type: 'json' };
import { PUBLISHER_PROVIDED_KEY, SERVER_SCHEMA_URL } from './server-entry.ts';

// ajv-formats is CommonJS; under Node's ESM loader its default export is module.exports.
const addFormats = ((addFormatsPlugin as unknown as { default?: typeof addFormatsPlugin }).default ?? addFormatsPlugin) as unknown as (ajv: Ajv) => Ajv;

/** The official registry's version-range detectors (validators.go `looksLikeVersionRange`). */
const VERSION_RANGE_PATTERNS = [
  String.raw`^\s*(?:\^|~|>=|<=|>|<|=)\s*v?\d+(?:\.\d+){0,3}(?:-[0-9A-Za-z.-]+)?\s*$`,
  String.raw`^\s*v?\d+(?:\.\d+){0,3}(?:-[0-9A-Za-z.-]+)?\s-\s*v?\d+(?:\.\d+){0,3}(?:-[0-9A-Za-z.-]+)?\s*$`,
  String.raw`^\s*(?:v?\d+(?:\.\d+){0,3}(?:-[0-9A-Za-z.-]+)?\s*)(?:\|\|\s*v?\d+(?:\.\d+){0,3}(?:-[0-9A-Za-z.-]+)?\s*)+$`,
];
const VERSION_WILDCARD_PATTERN = String.raw`^\s*(?:v?\d+|x|X|\*)(?:\.(?:\d+|x|X|\*)){1,2}(?:-[0-9A-Za-z.-]+)?\s*$`;
const REGISTRY_NAME_PATTERN = '^[a-zA-Z0-9][a-zA-Z0-9.-]*[a-zA-Z0-9]/[a-zA-Z0-9][a-zA-Z0-9._-]*[a-zA-Z0-9]$';

/** The registry's request model rejects unknown properties of these objects (422). */
function strictOverlay(flavor: RegistryFlavor): object {
  const remoteUrl = flavor === 'upstream' ? { type: 'string', pattern: '^https://' } : { type: 'string' };
  return {
    $id: `urn:mcp-registry-export:strict-server-entry:${flavor}`,
    type: 'object',
    additionalProperties: false,
    required: ['$schema', 'name', 'description', 'version'],
    properties: {
      $schema: { const: SERVER_SCHEMA_URL },
      name: { type: 'string', maxLength: 200, pattern: REGISTRY_NAME_PATTERN },
      description: { type: 'string', pattern: String.raw`\S` },
      title: { type: 'string', pattern: String.raw`\S` },
      version: {
        type: 'string',
        minLength: 1,
        not: {
          anyOf: [
            { const: 'latest' },
            ...VERSION_RANGE_PATTERNS.map((pattern) => ({ pattern })),
            { allOf: [{ pattern: '[xX*]' }, { pattern: VERSION_WILDCARD_PATTERN }] },
          ],
        },
      },
      websiteUrl: { type: 'string', pattern: `^https://[^"'<> \\t\\n\\r]+$` },
      repository: {
        type: 'object',
        additionalProperties: false,
        properties: { url: {}, source: { enum: ['github', 'gitlab'] }, id: {}, subfolder: {} },
      },
      icons: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          properties: { src: { type: 'string', pattern: '^https://' }, mimeType: {}, sizes: {}, theme: {} },
        },
      },
      // The planner writes no packages; their registry-side rules are not repeated here.
      packages: { type: 'array' },
      remotes: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['type', 'url'],
          properties: { type: { enum: ['streamable-http', 'sse'] }, url: remoteUrl, headers: { type: 'array' }, variables: { type: 'object' } },
        },
      },
      _meta: {
        type: 'object',
        additionalProperties: false,
        properties: { [PUBLISHER_PROVIDED_KEY]: { type: 'object' } },
      },
    },
  };
}

interface Validators {
  official: ValidateFunction;
  strict: Record<RegistryFlavor, ValidateFunction>;
}

let validators: Validators | undefined;

// Compiled on first use: importing the planner should not pay for ajv's code generation.
function compiled(): Validators {
  if (validators) return validators;
  const ajv = new Ajv({ allErrors: true, strictRequired: false });
  addFormats(ajv);
  ajv.addKeyword('example'); // the official schema uses this non-standard annotation keyword
  validators = {
    official: ajv.compile(serverSchema),
    strict: { toolhive: ajv.compile(strictOverlay('toolhive')), upstream: ajv.compile(strictOverlay('upstream')) },
  };
  return validators;
}

function describeErrors(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((error) => {
    const where = error.instancePath || '/';
    if (error.keyword === 'not' && where === '/version') return `${where} must be a fixed version, not "latest" or a range`;
    const extra = error.keyword === 'additionalProperties' ? ` (${(error.params as { additionalProperty: string }).additionalProperty})` : '';
    return `${where} ${error.message ?? 'is invalid'}${extra}`;
  });
}

/** Problems against the official schema alone (the vendored file, unchanged). */
export function officialSchemaProblems(entry: unknown): string[] {
  const { official } = compiled();
  return official(entry) ? [] : describeErrors(official.errors);
}

/** Rules of the official registry the schema does not express; checked in code. */
function registryRuleProblems(entry: Record<string, unknown>, flavor: RegistryFlavor, measuredBytes: number | undefined): string[] {
  const problems: string[] = [];
  if (typeof entry.name === 'string') {
    const problem = fullNameProblem(entry.name);
    if (problem) problems.push(`/name ${problem}`);
  }
  const meta = entry._meta as Record<string, unknown> | undefined;
  const provided = meta?.[PUBLISHER_PROVIDED_KEY];
  if (provided !== undefined) {
    const bytes = measuredBytes ?? marshaledJsonBytes(provided);
    if (bytes > MAX_PUBLISHER_PROVIDED_BYTES) problems.push(`/_meta/${PUBLISHER_PROVIDED_KEY} is ${bytes} bytes, at most ${MAX_PUBLISHER_PROVIDED_BYTES} are allowed`);
  }
  const remotes = Array.isArray(entry.remotes) ? (entry.remotes as { url?: unknown; variables?: Record<string, unknown> }[]) : [];
  remotes.forEach((remote, index) => {
    if (typeof remote.url !== 'string') return;
    for (const [, variable] of remote.url.matchAll(/\{([^}]*)\}/g)) {
      if (!remote.variables || !Object.hasOwn(remote.variables, variable!)) problems.push(`/remotes/${index}/url uses {${variable}}, which variables does not declare`);
    }
    if (flavor === 'upstream') {
      const outcome = VALUE_RULES['registry-url'].check(remote.url, { owningNamespace: 'default', namePrefix: '' });
      for (const reason of [...outcome.errors, ...outcome.warnings]) problems.push(`/remotes/${index}/url ${reason}`);
    }
  });
  return problems;
}

/**
 * Every reason the registry of this flavor would refuse the entry: the official schema,
 * the strict overlay, and the rules checked in code. Empty: publishable.
 * `publisherProvidedBytes`: the size of publisher-provided when the caller measured it already.
 */
export function entryProblems(entry: unknown, flavor: RegistryFlavor, publisherProvidedBytes?: number): string[] {
  const { official, strict } = compiled();
  const problems = official(entry) ? [] : describeErrors(official.errors);
  const overlay = strict[flavor];
  if (!overlay(entry)) problems.push(...describeErrors(overlay.errors));
  if (typeof entry === 'object' && entry !== null && !Array.isArray(entry)) problems.push(...registryRuleProblems(entry as Record<string, unknown>, flavor, publisherProvidedBytes));
  return [...new Set(problems)];
}
