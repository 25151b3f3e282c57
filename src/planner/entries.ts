// One registry entry per final name (discovery.md section 7): the remotes of every
// contribution to the name, metadata from the routes first and then the MCP resources,
// the version, the publisher-provided metadata, and the flavor's rules. Anything that
// keeps an entry from being published skips every exported object that fed it. Besides the
// contributions, an entry reads the MCPToolConfigs its MCP resources name (tool-config.ts).

import { createHash } from 'node:crypto';
import type { ClusterLookups } from '../cluster/lookups.ts';
import { fullKey } from '../contract/keys.ts';
import { fullNameProblem } from '../contract/registry-name.ts';
import { VALUE_RULES } from '../contract/value-rules.ts';
import type { MCPServer } from '../kubernetes/objects.ts';
import { compareRefs, compareText, producerOf, type Contribution, type Contributor } from './contributions.ts';
import { withEntryClaims, type EntryClaims } from './entry-claims.ts';
import { entryProblems } from './entry-schema.ts';
import type { PlanOptions } from './options.ts';
import { malformedReason } from './plan-context.ts';
import { ownedSource, ownershipRecord, type OwnershipRecord } from './ownership.ts';
import type { EntryMemory, PlanCache } from './plan-cache.ts';
import { fitPublisherProvided } from './publisher-provided.ts';
import { answersHold, RecordedLookups } from './recorded-lookups.ts';
import { describeRef, PlanReport } from './result.ts';
import { PUBLISHER_PROVIDED_KEY, SERVER_SCHEMA_URL, type ServerEntry } from './server-entry.ts';
import { toolConfigFor, type ToolConfigUse } from './tool-config.ts';
import { toolhiveExtensions, type ToolHiveServerExtensions } from './toolhive-extension.ts';
import { DEFAULT_VERSION, versionFromImage } from './versions.ts';

type MetadataField = 'description' | 'title' | 'version' | 'icon';

/** Direct remotes first (resources in namespace/name order), then routes in namespace/name order. */
function orderContributions(group: Contribution[]): Contribution[] {
  const rank = (c: Contribution) => (c.kind === 'direct' ? 0 : 1);
  const lead = (c: Contribution) => (c.kind === 'direct' ? c.resource!.ref : c.route!.ref);
  return [...group].sort((a, b) => rank(a) - rank(b) || compareRefs(lead(a), lead(b)));
}

/** Each object once (by identity: one contributor per object and contribution), in order. */
function uniqueContributors(contributors: (Contributor | undefined)[]): Contributor[] {
  const unique: Contributor[] = [];
  for (const contributor of contributors) {
    if (contributor && !unique.some((other) => other.object === contributor.object)) unique.push(contributor);
  }
  return unique;
}

// Why the first contributor's value wins, as the warnings on the others say. Routes are in
// namespace/name order; MCP resources are not: direct exports come first (namespace/name
// order), then the resources behind routes in the routes' order and, within a route, in the
// order of the rules whose endpoint they are (one rule is one endpoint, discovery.md section 2).
const ROUTE_ORDER = 'the first in namespace/name order wins';
const RESOURCE_ORDER = 'the first wins (direct exports in namespace/name order, then the MCP resources behind routes, routes in namespace/name order and rules in order)';

/** The first contributor's value; the others that disagree get a warning saying why it won (`order`). */
function firstValue(contributors: Contributor[], field: MetadataField, entryName: string, report: PlanReport, order: string): string | undefined {
  const winner = contributors.find((c) => c.values[field] !== undefined);
  if (!winner) return undefined;
  const value = winner.values[field] as string;
  for (const other of contributors) {
    const otherValue = other.values[field];
    if (other === winner || otherValue === undefined || otherValue === value) continue;
    report.warn(other.ref, `registry-${field} ${JSON.stringify(otherValue)} disagrees with ${describeRef(winner.ref)}'s ${JSON.stringify(value)} for entry ${entryName}; ${order}`);
  }
  return value;
}

function pick(field: MetadataField, routes: Contributor[], resources: Contributor[], entryName: string, report: PlanReport): string | undefined {
  return firstValue(routes, field, entryName, report, ROUTE_ORDER) ?? firstValue(resources, field, entryName, report, RESOURCE_ORDER);
}

function imageVersion(resources: Contributor[]): string | undefined {
  for (const resource of resources) {
    if (resource.ref.kind !== 'MCPServer') continue;
    const version = versionFromImage((resource.object as MCPServer).spec?.image);
    if (version !== undefined) return version;
  }
  return undefined;
}

/** Why the upstream registry would refuse a remote URL (https only, no loopback), or undefined. */
function upstreamRejection(url: string): string | undefined {
  const outcome = VALUE_RULES['registry-url'].check(url, { owningNamespace: 'default', namePrefix: '' });
  return [...outcome.errors, ...outcome.warnings][0];
}

interface EntryRemote {
  url: string;
  contribution: Contribution;
}

/** Remote URLs once each, the first contribution of a URL keeping it. */
function dedupeRemotes(contributions: Contribution[]): EntryRemote[] {
  const unique: EntryRemote[] = [];
  for (const contribution of contributions) {
    for (const url of contribution.urls) {
      if (!unique.some((other) => other.url === url)) unique.push({ url, contribution });
    }
  }
  return unique;
}

/**
 * The tool configuration of each MCP resource, worked out once per entry (discovery.md
 * section 9); a toolConfigRef to an MCPToolConfig that is not there is warned about.
 */
function toolConfigsOf(entryName: string, lookups: ClusterLookups, report: PlanReport): (resource: Contributor) => ToolConfigUse {
  const known = new Map<Contributor['object'], ToolConfigUse>();
  return (resource) => {
    if (known.has(resource.object)) return known.get(resource.object);
    const use = toolConfigFor(resource.object, resource.ref.namespace, lookups);
    if (use && 'missing' in use) {
      report.warn(resource.ref, `entry ${entryName}: spec.toolConfigRef names MCPToolConfig ${resource.ref.namespace}/${use.missing}, which does not exist; tools and tool_definitions are left out`);
    }
    known.set(resource.object, use);
    return use;
  };
}

/** ToolHive's extension for the remotes of one contribution (shared by its URLs). */
function extensionsOf(contribution: Contribution, toolConfigOf: (resource: Contributor) => ToolConfigUse): ToolHiveServerExtensions {
  // metadata.kubernetes is the MCP resource, or the route of a route-only export.
  const object = contribution.resource ?? contribution.route!;
  const toolConfig = contribution.resource ? toolConfigOf(contribution.resource) : undefined;
  return toolhiveExtensions(contribution.route?.values, contribution.resource?.values, ownedSource(object.ref, object.object), toolConfig);
}

function buildEntry(name: string, group: Contribution[], options: PlanOptions, report: PlanReport, lookups: ClusterLookups): ServerEntry | undefined {
  const ordered = group.length > 1 ? orderContributions(group) : group;
  const contributors = uniqueContributors(ordered.flatMap((c) => [c.route, c.resource]));
  const exported = contributors.filter((c) => c.exported);
  const skip = (reason: string): undefined => {
    for (const contributor of exported) report.skip(contributor.ref, `entry ${name}: ${reason}`);
    return undefined;
  };
  const warnAll = (message: string) => {
    for (const contributor of exported) report.warn(contributor.ref, `entry ${name}: ${message}`);
  };

  const nameProblem = fullNameProblem(name);
  if (nameProblem) return skip(`registry name ${JSON.stringify(name.slice(0, 64))} ${nameProblem}; set ${fullKey('registry-name')} to a valid name`);
  const owners: string[] = [];
  for (const { owningNamespace } of ordered) if (!owners.includes(owningNamespace)) owners.push(owningNamespace);
  owners.sort(compareText);
  if (owners.length > 1) return skip(`registry name is claimed from namespaces ${owners.join(' and ')}; a registry name belongs to one namespace`);

  const routes = uniqueContributors(ordered.map((c) => c.route));
  const resources = uniqueContributors(ordered.map((c) => c.resource));
  const description = pick('description', routes, resources, name, report);
  if (description === undefined) return skip('missing registry-description');
  const title = pick('title', routes, resources, name, report);
  const icon = pick('icon', routes, resources, name, report);
  const version = pick('version', routes, resources, name, report) ?? imageVersion(resources) ?? DEFAULT_VERSION;

  let remotes = dedupeRemotes(ordered);
  if (options.flavor === 'upstream') {
    remotes = remotes.filter(({ url, contribution }) => {
      const rejection = upstreamRejection(url);
      if (rejection) report.warn(producerOf(contribution).ref, `remote ${url} left out for the upstream registry: it ${rejection}`);
      return !rejection;
    });
    if (remotes.length === 0) return skip('no remote the upstream registry accepts (https only, no loopback hosts)');
  }

  // Keyed by URL: a dictionary from the start (no hidden class per distinct set of URLs).
  const extensions = Object.create(null) as Record<string, ToolHiveServerExtensions>;
  const toolConfigOf = toolConfigsOf(name, lookups, report);
  let last: { contribution: Contribution; extension: ToolHiveServerExtensions } | undefined;
  for (const { url, contribution } of remotes) {
    if (last?.contribution !== contribution) last = { contribution, extension: extensionsOf(contribution, toolConfigOf) };
    extensions[url] = last.extension;
  }
  const claims = claimsOf(resources, name, report);
  const ownership: OwnershipRecord = {
    ...ownershipRecord(options.owner, contributors.map((c) => ownedSource(c.ref, c.object)), options.installation),
    ...(claims ? { claims: claimsDigest(claims) } : {}),
  };
  const provided = fitPublisherProvided(extensions, ownership);
  for (const warning of provided.warnings) warnAll(warning);
  if ('problem' in provided) return skip(provided.problem);

  const entry: ServerEntry = {
    $schema: SERVER_SCHEMA_URL,
    name,
    description,
    ...(title !== undefined ? { title } : {}),
    version,
    ...(icon !== undefined ? { icons: [{ src: icon }] } : {}),
    remotes: remotes.map(({ url, contribution }) => ({ type: contribution.type, url })),
    _meta: { [PUBLISHER_PROVIDED_KEY]: provided.value },
  };
  const problems = entryProblems(entry, options.flavor, provided.bytes);
  if (problems.length > 0) return skip(`the registry would reject the entry: ${problems.slice(0, 3).join('; ')}`);
  // Not part of the server.json (discovery.md section 7): the ToolHive client sends them beside it.
  return withEntryClaims(entry, claims);
}

/** The MCP resources' authz-claims (the first one's, with a warning when they disagree). */
function claimsOf(resources: Contributor[], entryName: string, report: PlanReport): EntryClaims | undefined {
  const found = resources.filter((resource) => resource.values.authzClaims !== undefined);
  const first = found[0];
  if (!first) return undefined;
  const key = canonicalClaims(first.values.authzClaims);
  for (const other of found.slice(1)) {
    if (canonicalClaims(other.values.authzClaims) !== key) {
      report.warn(other.ref, `entry ${entryName}: its ${fullKey('authz-claims')} differ from those of ${first.ref.kind} ${first.ref.namespace}/${first.ref.name}, which are used`);
    }
  }
  return first.values.authzClaims;
}

/** Key order does not matter; value order (of an array claim) does, as it does to the server. */
function canonicalClaims(claims: EntryClaims | undefined): string {
  return JSON.stringify(Object.keys(claims ?? {}).sort().map((key) => [key, claims![key]]));
}

function claimsDigest(claims: EntryClaims): string {
  return createHash('sha256').update(canonicalClaims(claims)).digest('hex').slice(0, 16);
}

/** The upstream registry lets one remote URL belong to one name only. */
function warnSharedUrls(entries: ServerEntry[], groups: Map<string, Contribution[]>, report: PlanReport): void {
  const firstName = new Map<string, string>();
  for (const entry of entries) {
    for (const { url } of entry.remotes) {
      const owner = firstName.get(url);
      if (owner === undefined) {
        firstName.set(url, entry.name);
        continue;
      }
      for (const contribution of groups.get(entry.name) ?? []) {
        if (contribution.urls.includes(url)) {
          report.warn(producerOf(contribution).ref, `remote ${url} is published under ${entry.name} and also under ${owner}; the upstream registry allows a remote URL under one name only`);
        }
      }
    }
  }
}

function sameGroup(a: readonly Contribution[], b: readonly Contribution[]): boolean {
  return a.length === b.length && a.every((contribution, index) => contribution === b[index]);
}

/** An entry whose objects break their CRD schemas where it reads them is skipped, not fatal. */
function buildEntryGuarded(name: string, group: Contribution[], options: PlanOptions, report: PlanReport, lookups: ClusterLookups): ServerEntry | undefined {
  try {
    return buildEntry(name, group, options, report, lookups);
  } catch (error) {
    for (const contributor of uniqueContributors(group.flatMap((c) => [c.route, c.resource])).filter((c) => c.exported)) {
      report.skip(contributor.ref, `entry ${name}: ${malformedReason(error)}`);
    }
    return undefined;
  }
}

/**
 * One entry per final name. With a cache, an entry whose contributions are the very same
 * as in the last plan, and whose look-ups (the MCPToolConfigs) still answer the same, is
 * taken from it (with its skips and warnings).
 */
export function buildEntries(contributions: Contribution[], options: PlanOptions, report: PlanReport, lookups: ClusterLookups, cache?: PlanCache): ServerEntry[] {
  const groups = new Map<string, Contribution[]>();
  for (const contribution of contributions) {
    const group = groups.get(contribution.registryName);
    if (group) group.push(contribution);
    else groups.set(contribution.registryName, [contribution]);
  }
  const entries: ServerEntry[] = [];
  const remembered = new Map<string, EntryMemory>();
  for (const name of [...groups.keys()].sort(compareText)) {
    const group = groups.get(name)!;
    let memory = cache?.entries.get(name);
    if (!memory || !sameGroup(memory.group, group) || !answersHold(memory.answers, lookups)) {
      const entryReport = cache ? new PlanReport() : report;
      const recorded = cache ? new RecordedLookups(lookups) : undefined;
      const entry = buildEntryGuarded(name, group, options, entryReport, recorded ?? lookups);
      memory = { group, answers: recorded?.answers ?? [], report: entryReport, entry };
    }
    if (cache) {
      report.replay(memory.report);
      remembered.set(name, memory);
    }
    if (memory.entry) entries.push(memory.entry);
  }
  if (cache) cache.entries = remembered;
  warnSharedUrls(entries, groups, report);
  return entries;
}
