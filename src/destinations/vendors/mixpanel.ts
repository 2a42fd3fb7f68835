import type { MixpanelDestinationConfig } from '../config.js';
import type { Destination, SendResult } from '../destination.js';
import { interpretStatus } from '../http.js';
import { firstOf, propertiesOf, timeMs, uuidOf } from '../mapping.js';
import { settingsOf } from './settings.js';

/** The Import API takes up to 2000 events and 10 MB per request (https://developer.mixpanel.com/reference/import-events). */
const MAX_BODY = 10 * 1024 * 1024;

/**
 * Mixpanel's Import API: POST <url>/import?strict=1 with basic auth (a service account, or the project secret as
 * the user name), a JSON array of {event, properties: {time, distinct_id, $insert_id, ...}}. With strict=1 a
 * 400 lists `failed_records`; the others were imported.
 */
export function mixpanelDestination(config: MixpanelDestinationConfig): Destination {
  const { mapping } = config;
  const query = new URLSearchParams({ strict: '1', ...(config.projectId ? { project_id: config.projectId } : {}) });
  const url = `${config.url.replace(/\/$/, '')}/import?${query}`;
  const auth = Buffer.from(config.username ? `${config.username}:${config.secret}` : `${config.secret}:`).toString('base64');
  return {
    name: config.name,
    kind: 'mixpanel',
    settings: settingsOf(config),
    maxBodyBytes: MAX_BODY,
    request(events) {
      const body = events.map((e) => {
        const properties: Record<string, unknown> = {
          ...propertiesOf(e, mapping),
          time: timeMs(e, mapping),
          distinct_id: firstOf(e, mapping.distinctId) ?? '',
          $insert_id: uuidOf(e.eid),
        };
        if (e.url) properties.$current_url = e.url;
        if (config.token) properties.token = config.token;
        return { event: firstOf(e, mapping.event) ?? 'event', properties };
      });
      return {
        url,
        headers: { 'content-type': 'application/json', authorization: `Basic ${auth}` },
        body: JSON.stringify(body),
      };
    },
    interpret(status, body, headers): SendResult {
      const result = interpretStatus(status, body, headers);
      if (result.kind !== 'rejected' || status !== 400) return result;
      const failed = failedRecords(body);
      return failed ? { ...result, failed, othersTaken: true } : result;
    },
  };
}

function failedRecords(body: string): number[] | undefined {
  try {
    const parsed = JSON.parse(body) as { failed_records?: { index?: unknown }[] };
    const indices = parsed.failed_records?.map((r) => r.index).filter((i): i is number => typeof i === 'number');
    return indices && indices.length > 0 ? indices : undefined;
  } catch {
    return undefined;
  }
}
