import type { TrackEvent } from '../../track/event.js';
import { partitionBatches } from './batching.js';
import { eventToRows } from './event-rows.js';
import { countsAsHit, hitIncrements } from './hits.js';
import { hostDayWrites } from './hosts.js';
import { runGroups, storedEids, type CqlClient } from './run.js';

/**
 * One batch of events into Cassandra, in the order ./hits.ts explains: which events are already stored, every
 * other row, the hits of the new events, then the `events` markers. Takes the driver's client (or anything
 * with its execute and batch), so the statements it sends can be counted and timed without a cluster.
 */
export async function writeEvents(client: CqlClient, batch: readonly TrackEvent[], ttl: number): Promise<number> {
  const unique = [...new Map(batch.map((e) => [e.eid, e])).values()];
  if (unique.length === 0) return 0;
  const rows = unique.flatMap((e) => eventToRows(e, { ttlSeconds: ttl })); // validates before any write
  const markers = rows.filter((r) => r.table === 'events');
  const others = [...rows.filter((r) => r.table !== 'events'), ...hostDayWrites(unique, ttl)];
  const known = await storedEids(client, unique.filter(countsAsHit).map((e) => e.eid));
  await runGroups(client, partitionBatches(others), true);
  await runGroups(client, hitIncrements(unique, known).map((w) => [w]), false);
  await runGroups(client, markers.map((w) => [w]), true);
  return unique.length;
}
