import type { TrackEvent } from '../../track/event.js';
import { receivedDate } from '../event-columns.js';
import { dayOf, insert, using, type CqlWrite } from './cql.js';
import { NO_HOST, key } from './event-rows.js';

/**
 * `hosts_by_day` rows for a batch: one per distinct (day, host), so reads can find the partitions of
 * events_by_day and hits for a day without scanning the cluster. Upserts, safe to repeat; written with the
 * other rows, before the `events` marker, so a stored event always has its host listed.
 */
export function hostDayWrites(events: readonly TrackEvent[], ttlSeconds: number): CqlWrite[] {
  const seen = new Map<string, { day: string; host: string }>();
  for (const event of events) {
    const day = dayOf(receivedDate(event));
    const host = event.host ?? NO_HOST;
    seen.set(key(day, host), { day, host });
  }
  const ttl = using(ttlSeconds);
  return [...seen.values()].map(({ day, host }) => ({
    ...insert('hosts_by_day', ['day', 'host'], [day, host], ttl.clause, ttl.params),
    table: 'hosts_by_day',
    partition: key('hosts_by_day', day),
  }));
}
