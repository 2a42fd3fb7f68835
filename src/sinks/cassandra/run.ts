import type { Client } from 'cassandra-driver';
import type { CqlWrite } from './cql.js';

/** What the writes need of the driver's client: a seam, so they can be counted and timed without a cluster. */
export type CqlClient = Pick<Client, 'execute' | 'batch'>;

/** Statements in flight at once per write: enough to keep a few nodes busy without flooding one connection. */
export const CONCURRENCY = 64;

/**
 * Runs groups of writes (see ./batching.ts) with bounded concurrency: a group of one as a plain statement, a
 * larger one as an UNLOGGED batch (its writes share a partition). `idempotent` lets the driver retry on a
 * timeout; it is false for counter increments, which a retry would apply twice.
 */
export async function runGroups(client: CqlClient, groups: readonly CqlWrite[][], idempotent: boolean): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < groups.length) {
      const group = groups[next++]!;
      const options = { prepare: true, isIdempotent: idempotent };
      if (group.length === 1) await client.execute(group[0]!.query, group[0]!.params, options);
      else await client.batch(group, { ...options, logged: false, counter: group[0]!.table === 'hits' }); // the driver reads query and params
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, groups.length) }, worker));
}

/**
 * Event ids per read: one IN list on the partition key of `events`, so a batch of N events costs N / 100
 * round trips instead of N (the coordinator reads the partitions in parallel). 100 keeps each read small
 * enough for a coordinator under load and well inside any IN-list guardrail a cluster may set.
 */
export const EIDS_PER_READ = 100;

export const STORED_EIDS_QUERY = 'SELECT eid FROM events WHERE eid IN ?';

/** Which of these event ids already have their `events` row (see ./hits.ts): ceil(N / EIDS_PER_READ) reads. */
export async function storedEids(client: CqlClient, eids: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  const groups: string[][] = [];
  for (let i = 0; i < eids.length; i += EIDS_PER_READ) groups.push(eids.slice(i, i + EIDS_PER_READ));
  let next = 0;
  const worker = async () => {
    while (next < groups.length) {
      const group = groups[next++]!;
      const rs = await client.execute(STORED_EIDS_QUERY, [group], { prepare: true, isIdempotent: true });
      for (const row of rs.rows) found.add(String(row.get('eid')));
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, groups.length) }, worker));
  return found;
}
