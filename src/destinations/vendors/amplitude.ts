import type { AmplitudeDestinationConfig } from '../config.js';
import type { Destination, SendResult } from '../destination.js';
import { interpretStatus } from '../http.js';
import { firstOf, propertiesOf, timeMs, uuidOf } from '../mapping.js';
import { settingsOf } from './settings.js';

/** HTTP V2 accepts up to 2000 events and 1 MB per request (https://amplitude.com/docs/apis/analytics/http-v2). */
const MAX_BODY = 1024 * 1024;

/**
 * Amplitude's HTTP V2 API: POST <url>/2/httpapi {api_key, events: [{user_id, device_id, event_type, time,
 * insert_id, event_properties}]}. A 400 rejects the whole batch but names the invalid events, so the rest can be
 * sent again at once.
 */
export function amplitudeDestination(config: AmplitudeDestinationConfig): Destination {
  const { mapping } = config;
  const url = `${config.url.replace(/\/$/, '')}/2/httpapi`;
  return {
    name: config.name,
    kind: 'amplitude',
    settings: settingsOf(config),
    maxBodyBytes: MAX_BODY,
    request(events) {
      const body = {
        api_key: config.apiKey,
        events: events.map((e) => {
          const userId = firstOf(e, mapping.userId);
          const deviceId = firstOf(e, mapping.deviceId);
          return {
            ...(userId ? { user_id: userId } : {}),
            ...(deviceId ? { device_id: deviceId } : {}),
            event_type: firstOf(e, mapping.event) ?? 'event',
            time: timeMs(e, mapping),
            insert_id: uuidOf(e.eid),
            ...(e.ip ? { ip: e.ip } : {}),
            ...(e.country ? { country: e.country } : {}),
            ...(e.city ? { city: e.city } : {}),
            ...(e.ua_os ? { os_name: e.ua_os } : {}),
            event_properties: propertiesOf(e, mapping),
          };
        }),
        ...(config.minIdLength > 0 ? { options: { min_id_length: config.minIdLength } } : {}),
      };
      return { url, headers: { 'content-type': 'application/json', accept: '*/*' }, body: JSON.stringify(body) };
    },
    interpret(status, body, headers): SendResult {
      const result = interpretStatus(status, body, headers);
      if (result.kind !== 'rejected' || status !== 400) return result;
      const failed = invalidEvents(body);
      return failed ? { ...result, failed, othersTaken: false } : result;
    },
  };
}

/** Indices from `events_with_invalid_fields` and `events_with_missing_fields` ({field: [indices]}). */
function invalidEvents(body: string): number[] | undefined {
  try {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    const indices = new Set<number>();
    for (const key of ['events_with_invalid_fields', 'events_with_missing_fields', 'silenced_events']) {
      const group = parsed[key];
      if (!group || typeof group !== 'object') continue;
      for (const list of Object.values(group as Record<string, unknown>)) {
        if (Array.isArray(list)) for (const i of list) if (typeof i === 'number') indices.add(i);
      }
    }
    return indices.size > 0 ? [...indices].sort((a, b) => a - b) : undefined;
  } catch {
    return undefined;
  }
}
