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
      else await client.batch(group.map(({ query, params }) => ({ query, params })), { ...options, logged: false, counter: group[0]!.table === 'hits' });
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, groups.length) }, worker));
}

/** Which of these event ids already have their `events` row (see ./hits.ts), by single-partition reads. */
export async function storedEids(client: CqlClient, eids: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  let next = 0;
  const worker = async () => {
    while (next < eids.length) {
      const eid = eids[next++]!;
      const rs = await client.execute('SELECT eid FROM events WHERE eid = ?', [eid], { prepare: true, isIdempotent: true });
      if (rs.rowLength > 0) found.add(eid);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, eids.length) }, worker));
  return found;
}
