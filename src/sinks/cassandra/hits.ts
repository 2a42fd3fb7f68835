import type { TrackEvent } from '../../track/event.js';
import { receivedDate } from '../event-columns.js';
import { dayOf } from './cql.js';
import { NO_HOST, key } from './event-rows.js';
import type { CqlWrite } from './cql.js';

/**
 * Hits per URL per day are Cassandra counters, and a counter increment is not idempotent: replaying it adds
 * again. Lightweight transactions (a `counted` table written IF NOT EXISTS) would make it exact, at the price
 * of a Paxos round (4 round trips) per event on the hot path. Instead, without LWT:
 *
 *   1. read which events of the batch already have their `events` row (the row written last), by IN lists of
 *      event ids (./run.ts): a bounded number of reads per batch, not one per event;
 *   2. write every other row (upserts: safe to repeat);
 *   3. increment hits for the events that were not there in step 1;
 *   4. write the `events` rows.
 *
 * The common redelivery (the batch was stored but the ack was lost, or the consumer died before acking) then
 * counts nothing twice. The remaining window: a failure between steps 3 and 4, or a counter write that timed
 * out but was applied, can overcount the events of that one batch. Exact figures always come from
 * `events_by_day`; `hits` is the cheap dashboard number.
 */

/** Events that count as a hit: a page with a URL, not a bot (bots are not visitors). */
export function countsAsHit(event: TrackEvent): boolean {
  return typeof event.url === 'string' && event.url !== '' && event.bot !== true;
}

/**
 * One increment per (host, day, url), summing the new events of the batch. The writer sends them as one counter
 * batch per (host, day) partition (./batching.ts): one mutation, applied whole or not at all.
 */
export function hitIncrements(events: readonly TrackEvent[], alreadyStored: ReadonlySet<string>): CqlWrite[] {
  const sums = new Map<string, { host: string; day: string; url: string; n: number }>();
  for (const event of events) {
    if (alreadyStored.has(event.eid) || !countsAsHit(event)) continue;
    const host = event.host ?? NO_HOST;
    const day = dayOf(receivedDate(event));
    const url = event.url as string;
    const k = key('hits', host, day, url);
    const sum = sums.get(k) ?? { host, day, url, n: 0 };
    sum.n++;
    sums.set(k, sum);
  }
  return [...sums.values()].map(({ host, day, url, n }) => ({
    query: 'UPDATE hits SET hits = hits + ? WHERE host = ? AND day = ? AND url = ?',
    params: [String(n), host, day, url],
    table: 'hits',
    partition: key('hits', host, day),
  }));
}
