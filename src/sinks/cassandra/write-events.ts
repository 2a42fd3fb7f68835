import type { TrackEvent } from '../../track/event.js';
import { partitionBatches, spreadBatches } from './batching.js';
import type { CqlWrite } from './cql.js';
import { eventToRows } from './event-rows.js';
import { countsAsHit, hitIncrements } from './hits.js';
import { hostDayWrites } from './hosts.js';
import { runGroups, storedEids, type CqlClient } from './run.js';
import { dropOverwrittenState } from './state-dedup.js';

/** The writes of one batch, grouped into requests, in the order they are sent (see writeEvents). */
export interface WritePlan {
  /** Events whose `events` row is looked up first (page events, which count as hits). */
  hitEids: string[];
  /** Every row but hits and the markers: one batch per partition key. */
  rows: CqlWrite[][];
  /** The `events` rows, a few partitions to a batch. */
  markers: CqlWrite[][];
}

/** Distinct events (by eid, the last copy wins) and their writes; throws before any write on a bad event. */
export function planWrite(batch: readonly TrackEvent[], ttl: number): { events: TrackEvent[]; plan: WritePlan } {
  const events = [...new Map(batch.map((e) => [e.eid, e])).values()];
  const rows = events.flatMap((e) => eventToRows(e, { ttlSeconds: ttl })); // validates before any write
  const markers = rows.filter((r) => r.table === 'events');
  const others = dropOverwrittenState([...rows.filter((r) => r.table !== 'events'), ...hostDayWrites(events, ttl)]);
  return {
    events,
    plan: { hitEids: events.filter(countsAsHit).map((e) => e.eid), rows: partitionBatches(others), markers: spreadBatches(markers) },
  };
}

/**
 * One batch of events into Cassandra, in the order ./hits.ts explains: which events are already stored, every
 * other row, the hits of the new events, then the `events` markers. Takes the driver's client (or anything
 * with its execute and batch), so the statements it sends can be counted and timed without a cluster.
 * Resolves with the number of distinct events written.
 */
export async function writeEvents(client: CqlClient, batch: readonly TrackEvent[], ttl: number): Promise<number> {
  const { events, plan } = planWrite(batch, ttl);
  if (events.length === 0) return 0;
  const known = await storedEids(client, plan.hitEids);
  await runGroups(client, plan.rows, true);
  await runGroups(client, partitionBatches(hitIncrements(events, known)), false);
  await runGroups(client, plan.markers, true);
  return events.length;
}
