// The remote an exported MCPServerEntry publishes (discovery.md section 1): its
// `registry-url` when set (which overrides the spec), else `spec.remoteUrl`, typed by
// `spec.transport` (`sse` -> sse, anything else streamable-http; the type rule of section
// 6). `spec.remoteUrl` is judged by the registry-url rule, so a URL the registry would
// refuse is caught here as the annotation's would be. Pure; shared by the planner and the
// contract (which warns at admission about what the planner would skip or flag).

import type { MCPServerEntry } from '../kubernetes/objects.ts';
import { quoteValue } from './messages.ts';
import { judgeValue } from './value-rules.ts';

export type ServerEntryTransport = 'sse' | 'streamable-http';

export interface ServerEntryRemote {
  url: string;
  type: ServerEntryTransport;
  /** Where the URL comes from. */
  from: 'registry-url' | 'spec.remoteUrl';
  /** The registry-url rule's warnings about spec.remoteUrl (http, loopback); none for the annotation (the contract gives them). */
  warnings: string[];
}

export type ServerEntryRemoteResult = ServerEntryRemote | { problem: string };

const RULE_CONTEXT = { owningNamespace: 'default', namePrefix: '' };

function specField(entry: MCPServerEntry, key: 'transport' | 'remoteUrl'): unknown {
  const spec: unknown = entry.spec;
  return typeof spec === 'object' && spec !== null ? (spec as Record<string, unknown>)[key] : undefined;
}

/**
 * The remote of an exported MCPServerEntry, given its (valid, normalized) `registry-url`:
 * that URL, else `spec.remoteUrl` when it passes the registry-url rule, else a problem.
 */
export function serverEntryRemote(entry: MCPServerEntry, registryUrl: string | undefined): ServerEntryRemoteResult {
  // The remote type: `spec.transport` sse gives sse, anything else streamable-http.
  const type: ServerEntryTransport = specField(entry, 'transport') === 'sse' ? 'sse' : 'streamable-http';
  if (registryUrl !== undefined) return { url: registryUrl, type, from: 'registry-url', warnings: [] };
  const raw = specField(entry, 'remoteUrl');
  if (raw === undefined || raw === null || raw === '') return { problem: 'has neither registry-url nor spec.remoteUrl, so there is no URL to publish' };
  if (typeof raw !== 'string') return { problem: `spec.remoteUrl is not a string (it is ${Array.isArray(raw) ? 'an array' : typeof raw}), so there is no URL to publish` };
  const { normalized: url, outcome } = judgeValue('registry-url', raw, RULE_CONTEXT);
  const error = outcome.errors[0];
  if (error !== undefined) return { problem: `spec.remoteUrl ${quoteValue(url)} ${error}; set registry-url to the URL clients should use` };
  return { url, type, from: 'spec.remoteUrl', warnings: outcome.warnings.map((warning) => `spec.remoteUrl ${quoteValue(url)} ${warning}`) };
}
