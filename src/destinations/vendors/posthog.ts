import type { PostHogDestinationConfig } from '../config.js';
import type { Destination } from '../destination.js';
import { interpretStatus } from '../http.js';
import { firstOf, propertiesOf, timeMs, uuidOf } from '../mapping.js';
import { settingsOf } from './settings.js';

/** PostHog limits a batch request to 20 MB (https://posthog.com/docs/api/capture#batch-events). */
const MAX_BODY = 20 * 1024 * 1024;

/** PostHog's batch endpoint: POST <url>/batch/ {api_key, batch: [{event, distinct_id, properties, timestamp, uuid}]}. */
export function postHogDestination(config: PostHogDestinationConfig): Destination {
  const { mapping } = config;
  const url = `${config.url.replace(/\/$/, '')}/batch/`;
  return {
    name: config.name,
    kind: 'posthog',
    settings: settingsOf(config),
    maxBodyBytes: MAX_BODY,
    request(events) {
      const batch = events.map((e) => {
        const properties: Record<string, unknown> = propertiesOf(e, mapping);
        if (e.url) properties.$current_url = e.url;
        if (e.ip) properties.$ip = e.ip;
        if (e.sid) properties.$session_id = e.sid;
        return {
          event: firstOf(e, mapping.event) ?? 'event',
          distinct_id: firstOf(e, mapping.distinctId) ?? e.eid,
          properties,
          timestamp: new Date(timeMs(e, mapping)).toISOString(),
          uuid: uuidOf(e.eid),
        };
      });
      const body = { api_key: config.apiKey, batch, ...(config.historicalMigration ? { historical_migration: true } : {}) };
      return { url, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
    },
    interpret: interpretStatus,
  };
}
