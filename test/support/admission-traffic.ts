// Continuous admission traffic through a real API server: writers create annotated
// HTTPRoutes in `default` until stopped, every tenth one with a registry-tier the webhook
// must deny. With the webhook configurations failing closed, an admission that could not
// reach the webhook fails the write: `failed` counts exactly those.

import type { KubeConfig } from '@kubernetes/client-node';
import { requestJson } from '../../src/kubernetes/api-requests.ts';

const P = 'toolhive.stacklok.dev/';

export interface AdmissionCounts {
  allowed: number;
  deniedAsExpected: number;
  failed: number;
  /** What went wrong, one line per failure (a bad route admitted counts here too). */
  failures: string[];
}

export interface AdmissionTraffic {
  counts: AdmissionCounts;
  stop(): Promise<AdmissionCounts>;
}

export function admissionTraffic(kubeConfig: KubeConfig, namePrefix: string, writerCount = 2): AdmissionTraffic {
  const counts: AdmissionCounts = { allowed: 0, deniedAsExpected: 0, failed: 0, failures: [] };
  let sent = 0;
  let stopped = false;
  const writer = async () => {
    while (!stopped) {
      const serial = ++sent;
      const bad = serial % 10 === 0;
      const annotations = bad ? { [`${P}registry-tier`]: 'Gold' } : { [`${P}registry-export`]: 'true', [`${P}registry-tier`]: 'community' };
      const route = {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: `${namePrefix}-${serial}`, namespace: 'default', annotations },
        spec: { rules: [{ backendRefs: [{ name: 'mcp', port: 8080 }] }] },
      };
      try {
        await requestJson(kubeConfig, 'POST', '/apis/gateway.networking.k8s.io/v1/namespaces/default/httproutes', route);
        if (bad) counts.failures.push(`${route.metadata.name}: a route with tier Gold was admitted`);
        else counts.allowed++;
      } catch (error) {
        const message = (error as Error).message;
        if (bad && message.includes('denied the request') && message.includes('registry-tier')) counts.deniedAsExpected++;
        else {
          counts.failed++;
          counts.failures.push(`${route.metadata.name} at ${new Date().toISOString()}: ${message}`);
          // An API server that is gone (a test that failed halfway) must not be spun against.
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    }
  };
  const writers = Array.from({ length: writerCount }, () => writer());
  return {
    counts,
    async stop() {
      stopped = true;
      await Promise.all(writers);
      return counts;
    },
  };
}
