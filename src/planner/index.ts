// The planner's public surface, for the `plan` command and the publisher.

export { plan, type PlanRun } from './plan.ts';
export { DEFAULT_PLAN_OPTIONS, isRegistryFlavor, REGISTRY_FLAVORS, resolvePlanOptions, type PlanOptions, type RegistryFlavor } from './options.ts';
export type { ObjectRef, PendingName, PlanResult, PlanWarning, SkippedObject } from './result.ts';
export { PlanCache } from './plan-cache.ts';
export { entryProblems, officialSchemaProblems } from './entry-schema.ts';
export { isOwnedBy, type OwnershipRecord, type OwnedSource } from './ownership.ts';
export {
  OWNERSHIP_KEY,
  PUBLISHER_PROVIDED_KEY,
  SERVER_SCHEMA_URL,
  TOOLHIVE_PUBLISHER_KEY,
  type Remote,
  type ServerEntry,
} from './server-entry.ts';
export type { ToolHiveServerExtensions } from './toolhive-extension.ts';
