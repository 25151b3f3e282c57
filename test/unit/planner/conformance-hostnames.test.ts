// Hostname intersection against Gateway API's own conformance fixture
// (../shared/reference/gateway-api-crds/conformance-httproute-hostname-intersection.yaml):
// Gateways with precise, wildcard and no listener hostnames, and routes that do and do not
// intersect. The fixture's routes reach plain Services, so each is exported route-only.
// Every route is marked accepted here, so the planner's own intersection decides.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { Gateway, HTTPRoute, KubeObject } from '../../../src/kubernetes/objects.ts';
import { acceptedBy, annotations, gatewayClass, planValid, skipsOf } from './fixtures.ts';

const fixture = fileURLToPath(new URL('../../../../shared/reference/gateway-api-crds/conformance-httproute-hostname-intersection.yaml', import.meta.url));
const NAMESPACE = 'gateway-conformance-infra';

function conformanceObjects(): KubeObject[] {
  const text = readFileSync(fixture, 'utf8').replaceAll('{GATEWAY_CLASS_NAME}', 'conformance');
  const objects = parseAllDocuments(text).map((document) => document.toJS() as KubeObject);
  for (const object of objects) {
    if (object.kind === 'Gateway') {
      // The wildcard listener needs a concrete name: the Gateway's Hostname address.
      (object as Gateway).status = { addresses: [{ type: 'Hostname', value: 'lb.anotherwildcard.io' }, { type: 'IPAddress', value: '192.0.2.1' }] };
    }
    if (object.kind === 'HTTPRoute') {
      const route = object as HTTPRoute;
      route.metadata = {
        ...route.metadata,
        generation: 1,
        annotations: annotations({ 'registry-export': 'true', 'registry-name': route.metadata!.name!, 'registry-description': 'Conformance route' }),
      };
      route.status = { parents: (route.spec?.parentRefs ?? []).map((ref) => acceptedBy(ref)) };
    }
  }
  return [gatewayClass('conformance'), ...objects];
}

describe('Gateway API conformance: HTTPRoute hostname intersection', () => {
  const result = planValid(conformanceObjects());
  const urlsByName = Object.fromEntries(result.entries.map((entry) => [entry.name.split('/')[1], entry.remotes.map((remote) => remote.url)]));

  it.each<[string, string[]]>([
    ['specific-host-matches-listener-specific-host', ['http://very.specific.com/s1']],
    ['specific-host-matches-listener-wildcard-host', ['http://foo.wildcard.io/s2', 'http://bar.wildcard.io/s2', 'http://foo.bar.wildcard.io/s2']],
    ['wildcard-host-matches-listener-specific-host', ['http://very.specific.com/s3']],
    ['wildcard-host-matches-listener-wildcard-host', ['http://lb.anotherwildcard.io/s4']],
    ['httproute-hostname-intersection-all', ['http://first.com/', 'http://sub.first.com/', 'http://second.com/', 'http://sub.second.com/']],
  ])('%s', (name, urls) => {
    expect(urlsByName[name]).toEqual(urls);
  });

  it('no-intersecting-hosts is skipped: no listener hostname intersects', () => {
    expect(urlsByName['no-intersecting-hosts']).toBeUndefined();
    expect(skipsOf(result)).toEqual([
      `HTTPRoute ${NAMESPACE}/no-intersecting-hosts: no listener of Gateway ${NAMESPACE}/httproute-hostname-intersection admits the route: ` +
        "listener listener-1 hostname very.specific.com matches none of the route's hostnames; " +
        "listener listener-2 hostname *.wildcard.io matches none of the route's hostnames; " +
        "listener listener-3 hostname *.anotherwildcard.io matches none of the route's hostnames",
    ]);
  });

  it('reports nothing else', () => {
    expect(result.warnings).toEqual([]);
    expect(result.entries).toHaveLength(5);
  });
});
