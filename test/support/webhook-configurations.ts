// The shipped webhook configurations (webhook-config/) pointed at a webhook served on
// loopback: clientConfig.service becomes url + caBundle, as envtest does (no caBundle when
// the product's certificate controller is to inject it). Rules, matchConditions and
// failure policies stay exactly as shipped.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { repoRoot } from './control-plane.ts';

export const VALIDATING_WEBHOOK_NAME = 'validate.annotations.mcp-registry-export.dev';

export function loopbackWebhookConfigurations(port: number, caPem: string | undefined, name?: string): string {
  return ['validating-webhook.yaml', 'mutating-webhook.yaml']
    .map((file) => {
      const config = parseAllDocuments(readFileSync(join(repoRoot, 'webhook-config', file), 'utf8'))[0]!.toJS();
      if (name) config.metadata.name = name;
      for (const hook of config.webhooks) {
        const url = `https://127.0.0.1:${port}${hook.clientConfig.service.path}`;
        hook.clientConfig = caPem === undefined ? { url } : { url, caBundle: Buffer.from(caPem).toString('base64') };
      }
      return stringify(config);
    })
    .join('---\n');
}
