import { createHmac } from 'node:crypto';
import type { WebhookDestinationConfig } from '../config.js';
import type { Destination } from '../destination.js';
import { interpretStatus } from '../http.js';
import { propertiesOf } from '../mapping.js';
import { settingsOf } from './settings.js';

export const SIGNATURE_HEADER = 'x-gatehouse-signature';
export const TIMESTAMP_HEADER = 'x-gatehouse-timestamp';

/** `sha256=<hex HMAC-SHA256 of the body>`: what a receiver recomputes with the shared secret. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * A generic webhook: POST a JSON array of Gatehouse events (excluded fields removed), signed with the shared
 * secret. The timestamp header lets a receiver refuse stale deliveries; the event ids let it drop re-sends.
 */
export function webhookDestination(config: WebhookDestinationConfig): Destination {
  const { mapping } = config;
  return {
    name: config.name,
    kind: 'webhook',
    settings: settingsOf(config),
    maxBodyBytes: 5 * 1024 * 1024,
    request(events) {
      const body = JSON.stringify(
        // The Gatehouse event itself (excluded fields removed), params kept as their own object.
        events.map((e) => {
          const fields = propertiesOf({ ...e, params: undefined }, mapping);
          return e.params ? { ...fields, params: e.params } : fields;
        }),
      );
      return {
        url: config.url,
        headers: {
          ...config.headers,
          'content-type': 'application/json',
          [SIGNATURE_HEADER]: signBody(config.secret, body),
          [TIMESTAMP_HEADER]: String(Math.floor(Date.now() / 1000)),
        },
        body,
      };
    },
    interpret: interpretStatus,
  };
}
