import { UNSET, type CqlWrite } from './cql.js';

/**
 * Groups writes into unlogged batches. Within ONE partition key (./event-rows.ts names them: a visitor's
 * events_by_visitor, visitors and sessions rows share one), a batch is applied as one mutation by the
 * replicas that own it: one round trip and one commit-log entry instead of one per statement. Cassandra
 * exempts such batches from batch_size_warn/fail_threshold (those apply to batches of several partitions,
 * CASSANDRA-10876); what bounds them is max_mutation_size (half the 32 MiB commit-log segment by default), far
 * above PARTITION_LIMITS, which keeps a request (and its retry) small.
 */
export interface BatchLimits {
  maxStatements: number;
  maxBytes: number;
}

export const PARTITION_LIMITS: BatchLimits = { maxStatements: 1_000, maxBytes: 256 * 1024 };

/**
 * Batches of writes to DIFFERENT partitions (the `events` rows, one partition each), within the thresholds
 * at which Cassandra warns of such a batch by default: more than 10 partitions
 * (unlogged_batch_across_partitions_warn_threshold) or 5 KiB (batch_size_warn_threshold). The coordinator
 * still applies one mutation per partition; what this saves is a round trip, and the driver's and the
 * server's work of a request, per event.
 */
export const SPREAD_LIMITS: BatchLimits = { maxStatements: 10, maxBytes: 5 * 1024 };

/** Each group is one partition's writes, in their original order; a group of one runs as a plain statement. */
export function partitionBatches(writes: readonly CqlWrite[], limits: BatchLimits = PARTITION_LIMITS): CqlWrite[][] {
  const open = new Map<string, { writes: CqlWrite[]; bytes: number }>();
  const done: CqlWrite[][] = [];
  for (const w of writes) {
    const size = estimateBytes(w);
    let group = open.get(w.partition);
    if (group && (group.writes.length >= limits.maxStatements || group.bytes + size > limits.maxBytes)) {
      done.push(group.writes);
      group = undefined;
    }
    if (!group) {
      group = { writes: [], bytes: 0 };
      open.set(w.partition, group);
    }
    group.writes.push(w);
    group.bytes += size;
  }
  for (const g of open.values()) done.push(g.writes);
  return done;
}

/** Consecutive writes in groups within `limits`, whatever their partitions (see SPREAD_LIMITS). */
export function spreadBatches(writes: readonly CqlWrite[], limits: BatchLimits = SPREAD_LIMITS): CqlWrite[][] {
  const done: CqlWrite[][] = [];
  let group: CqlWrite[] = [];
  let bytes = 0;
  for (const w of writes) {
    const size = estimateBytes(w);
    if (group.length > 0 && (group.length >= limits.maxStatements || bytes + size > limits.maxBytes)) {
      done.push(group);
      group = [];
      bytes = 0;
    }
    group.push(w);
    bytes += size;
  }
  if (group.length > 0) done.push(group);
  return done;
}

/**
 * The size Cassandra counts for a batch, roughly: each written cell's value plus its write time and TTL
 * (16 bytes); statements are prepared (sent by id, not text). Errs high, so a spread batch stays under 5 KiB.
 */
export function estimateBytes(w: CqlWrite): number {
  if (w.bytes !== undefined) return w.bytes;
  let n = 16;
  for (const p of w.params) {
    if (p === UNSET) continue;
    if (typeof p === 'string') n += p.length * 3 > 64 ? Buffer.byteLength(p) + 16 : p.length * 3 + 16;
    else if (p !== null && typeof p === 'object' && !(p instanceof Date)) n += Buffer.byteLength(JSON.stringify(p)) + 16;
    else n += 24;
  }
  return n;
}
