// Plain Kubernetes objects as the API server returns them (and as manifests hold them).
// Only the fields the contract and the planner read are typed; everything is optional
// because manifests and admission requests can carry anything.

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
}

export interface OwnerReference {
  apiVersion?: string;
  kind?: string;
  name?: string;
  uid?: string;
  controller?: boolean;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: unknown;
  status?: unknown;
}

export interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
}

// ---- Gateway API ----

export interface ParentReference {
  group?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  sectionName?: string;
  port?: number;
}

export interface BackendRef {
  group?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  port?: number;
  weight?: number;
}

export interface HTTPPathMatch {
  type?: 'Exact' | 'PathPrefix' | 'RegularExpression' | string;
  value?: string;
}

export interface HTTPRouteMatch {
  path?: HTTPPathMatch;
  headers?: unknown[];
  queryParams?: unknown[];
  method?: string;
}

export interface HTTPURLRewriteFilter {
  hostname?: string;
  path?: { type?: 'ReplaceFullPath' | 'ReplacePrefixMatch' | string; replaceFullPath?: string; replacePrefixMatch?: string };
}

export interface HTTPRouteFilter {
  type?: string;
  urlRewrite?: HTTPURLRewriteFilter;
}

export interface HTTPRouteRule {
  name?: string;
  matches?: HTTPRouteMatch[];
  filters?: HTTPRouteFilter[];
  backendRefs?: BackendRef[];
}

export interface RouteParentStatus {
  parentRef?: ParentReference;
  controllerName?: string;
  conditions?: Condition[];
}

export interface HTTPRoute extends KubeObject {
  spec?: {
    parentRefs?: ParentReference[];
    hostnames?: string[];
    rules?: HTTPRouteRule[];
  };
  status?: { parents?: RouteParentStatus[] };
}

export interface RouteNamespaces {
  from?: 'Same' | 'All' | 'Selector' | string;
  selector?: LabelSelector;
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key?: string; operator?: string; values?: string[] }[];
}

export interface Listener {
  name?: string;
  hostname?: string;
  port?: number;
  protocol?: string;
  allowedRoutes?: {
    namespaces?: RouteNamespaces;
    kinds?: { group?: string; kind?: string }[];
  };
}

export interface GatewayAddress {
  type?: string;
  value?: string;
}

export interface Gateway extends KubeObject {
  spec?: { gatewayClassName?: string; listeners?: Listener[] };
  status?: { addresses?: GatewayAddress[]; conditions?: Condition[] };
}

export interface GatewayClass extends KubeObject {
  spec?: { controllerName?: string };
}

export interface ReferenceGrant extends KubeObject {
  spec?: {
    from?: { group?: string; kind?: string; namespace?: string }[];
    to?: { group?: string; kind?: string; name?: string }[];
  };
}

export interface Service extends KubeObject {}
export interface Namespace extends KubeObject {}

// ---- ToolHive ----

/**
 * What ToolHive's operator reports on an MCP resource (only the phase is read: publishing.md
 * §4). Not declared on the kinds below: objects arrive as KubeObject (status unknown) and
 * must stay assignable to them; read it with a check (planner/readiness.ts).
 */
export interface MCPResourceStatus {
  phase?: string;
}

export interface MCPServer extends KubeObject {
  spec?: {
    image?: string;
    transport?: string;
    proxyMode?: string;
    endpointPrefix?: string;
    port?: number;
    proxyPort?: number;
    /** An MCPToolConfig of the same namespace (discovery.md section 9). */
    toolConfigRef?: { name?: string };
  };
}

export interface MCPRemoteProxy extends KubeObject {
  spec?: { remoteUrl?: string; transport?: string; endpointPrefix?: string; toolConfigRef?: { name?: string } };
}

export interface VirtualMCPServer extends KubeObject {}

export type MCPResource = MCPServer | MCPRemoteProxy | VirtualMCPServer;

/** A remote MCP server for vMCP discovery: no pods, no Service (CRD: remoteUrl, transport and groupRef required). */
export interface MCPServerEntry extends KubeObject {
  spec?: { remoteUrl?: string; transport?: string; groupRef?: { name?: string } };
}

/** The tool filter and overrides ToolHive's proxy applies to an MCPServer or MCPRemoteProxy that names it. */
export interface MCPToolConfig extends KubeObject {
  spec?: {
    /** Tool names (after overrides) clients see; empty or absent: all. */
    toolsFilter?: string[];
    /** By the server's own tool name. */
    toolsOverride?: Record<string, { name?: string; description?: string; annotations?: Record<string, unknown> }>;
  };
}

// ---- helpers ----

/** A JSON object (not an array, not null): what a field of an unvalidated object must be before it is read. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function annotationsOf(object: KubeObject): Record<string, string> {
  return object.metadata?.annotations ?? {};
}

// Line breaks and other control characters, written as \uXXXX escapes in messages.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const HAS_UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** Text from an untrusted object, made safe for a one-line message. */
export function printableText(text: string): string {
  // Almost every text is printable: a test is cheaper than a replace that finds nothing.
  if (!HAS_UNPRINTABLE.test(text)) return text;
  return text.replace(UNPRINTABLE, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

// Objects under review and in manifests can hold anything where a string belongs.
function field(value: unknown, fallback: string): string {
  return typeof value === 'string' && value !== '' ? printableText(value) : fallback;
}

/** `Kind namespace/name`, the way every message names an object. */
export function describeObject(object: KubeObject, defaultNamespace = 'default'): string {
  return `${field(object.kind, 'Object')} ${field(object.metadata?.namespace, defaultNamespace)}/${field(object.metadata?.name, '(unnamed)')}`;
}

export function namespaceOf(object: KubeObject, defaultNamespace = 'default'): string {
  const namespace: unknown = object.metadata?.namespace;
  return typeof namespace === 'string' && namespace !== '' ? namespace : defaultNamespace;
}
