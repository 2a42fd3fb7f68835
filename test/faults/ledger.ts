import { expect } from 'vitest';
import type { ConsumerLag } from '../../src/bus/bus.js';
import { openDatabase } from '../../src/sinks/duckdb/database.js';
import { waitFor } from '../helpers/wait.js';
import { eventCopies } from '../helpers/nats.js';
import type { FaultCluster, Setup } from './harness.js';
import type { LoadTally } from './load.js';

/*
 * The settle condition (spool forwarded, consumer caught up) and the ledger: every 2xx id stored exactly once,
 * nothing doubled in the stream or the sink, nothing stored that was never sent.
 */

/**
 * Waits until nothing is in flight anywhere: the gateway's spool has forwarded everything (so the stream holds
 * every accepted event) and then the durable consumer has nothing pending or unacked (so every sink has it).
 * Call it after the load stopped.
 */
export async function settle(
  what: string,
  spoolPending: () => Promise<number>,
  lag: () => Promise<ConsumerLag>,
  timeoutMs = 90_000,
): Promise<void> {
  await waitFor(`${what}: the spool to forward everything`, async () => (await spoolPending()) === 0, { timeoutMs, intervalMs: 100 });
  await waitFor(
    `${what}: the consumer to catch up`,
    async () => {
      const l = await lag();
      return l.pending === 0 && l.ackPending === 0;
    },
    { timeoutMs, intervalMs: 100 },
  );
}

/** Rows per eid in the DuckDB file for ids starting with `prefix` (opened through the process-wide cache). */
export async function storedByEid(dbPath: string, prefix: string): Promise<Map<string, number>> {
  const db = await openDatabase(dbPath);
  try {
    const reader = await db.exclusive((conn) =>
      conn.runAndReadAll('SELECT eid, count(*) AS n FROM events WHERE starts_with(eid, ?) GROUP BY eid', [prefix]),
    );
    return new Map(reader.getRowObjectsJS().map((r) => [String(r.eid), Number(r.n)]));
  } finally {
    await db.release();
  }
}

export interface Ledger {
  readonly scenario: string;
  readonly sent: number;
  readonly ok: number;
  readonly notOk: number;
  /** Event copies the stream holds on the event subject (JetStream deduplicates a re-published pack by its id). */
  readonly streamed: number;
  readonly stored: number;
  readonly duplicates: number;
  /** Answered 2xx, not stored: must be empty. */
  readonly lost: string[];
  /** Stored but never sent by this scenario: must be empty. */
  readonly foreign: string[];
  readonly failures: string;
}

/** Event copies on the scenario's event subject in the stream (a pack holds several events; each counts). */
export async function streamed(cluster: FaultCluster, setup: Setup): Promise<number> {
  let copies = 0;
  for (const n of (await eventCopies(cluster.jsm, setup.stream, setup.subject)).values()) copies += n;
  return copies;
}

/** What the bus and the sink hold for one scenario's events. */
export interface Holdings {
  /** Event copies on the event subject. */
  readonly streamed: number;
  /** Rows per eid in DuckDB. */
  readonly stored: ReadonlyMap<string, number>;
}

export async function holdings(cluster: FaultCluster, setup: Setup, prefix: string): Promise<Holdings> {
  return { streamed: await streamed(cluster, setup), stored: await storedByEid(setup.dbPath, prefix) };
}

/** Compares what the clients were promised with what the stream and the sink hold, and prints one summary line. */
export function ledger(scenario: string, tally: LoadTally, { streamed: inStream, stored }: Holdings): Ledger {
  let duplicates = 0;
  for (const n of stored.values()) duplicates += n - 1;
  const lost = [...tally.ok].filter((id) => !stored.has(id));
  const foreign = [...stored.keys()].filter((id) => !tally.ids.has(id));
  const notOk = [...tally.failed.values()].reduce((a, b) => a + b, 0);
  const failures = [...tally.failed.entries()].map(([k, v]) => `${k}=${v}`).join(' ') || '-';
  const result = {
    ...{ scenario, sent: tally.sent, ok: tally.ok.size, notOk, streamed: inStream, stored: stored.size },
    ...{ duplicates, lost, foreign, failures },
  };
  console.log(
    `[delivery] ${scenario}: sent=${result.sent} 2xx=${result.ok} non-2xx=${notOk} (${failures}) in-stream=${inStream} ` +
      `stored=${result.stored} duplicates=${duplicates} lost=${lost.length}`,
  );
  return result;
}

/** The promise every fault scenario checks: every 2xx event stored once, the stream and the store agreeing, nothing foreign. */
export function expectExactlyOnce(result: Ledger): void {
  expect(result.lost).toEqual([]);
  expect(result.duplicates).toBe(0);
  expect(result.streamed).toBe(result.stored);
  expect(result.foreign).toEqual([]);
}
