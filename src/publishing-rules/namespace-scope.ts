// Narrowing an installation's --namespace set must not retire what the dropped namespaces
// exported (publishing.md §3): a name no longer planned is retired only when the objects
// that exported it lie in namespaces the installation still watches. The exporting objects
// are its HTTPRoutes when it has any (an MCP resource behind a route of a watched namespace
// may live anywhere), else its MCP resources. Pure.

import type { OwnedSource } from '../planner/ownership.ts';

/** Do `sources` lie in what `namespaces` watches ([]: all)? */
export function withinNamespaces(sources: readonly OwnedSource[], namespaces: readonly string[]): boolean {
  if (namespaces.length === 0) return true;
  const routes = sources.filter((source) => source.kind === 'HTTPRoute');
  const exporting = routes.length > 0 ? routes : sources;
  return exporting.length > 0 && exporting.every((source) => namespaces.includes(source.namespace));
}
