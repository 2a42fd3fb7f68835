import { UNSET, type CqlWrite } from './cql.js';

/**
 * Groups writes into unlogged batches, each within ONE partition: a single-partition batch is applied as one
 * mutation by the replica that owns it, which saves round trips; a batch spanning partitions would instead
 * make one coordinator fan out to many replicas (slower than separate statements). Batches stay under the
 * server's default batch_size_warn_threshold (5 KiB) by an estimate of their size.
 */
export interface BatchLimits {
  maxStatements: number;
  maxBytes: number;
}

export const DEFAULT_LIMITS: BatchLimits = { maxStatements: 50, maxBytes: 5_000 };

/** Each group is one partition's writes, in their original order; a group of one runs as a plain statement. */
export function partitionBatches(writes: readonly CqlWrite[], limits: BatchLimits = DEFAULT_LIMITS): CqlWrite[][] {
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

/** A rough serialized size: values dominate, statements are prepared (sent by id, not text). */
export function estimateBytes(w: CqlWrite): number {
  let n = 16;
  for (const p of w.params) {
    if (p === UNSET) continue;
    if (typeof p === 'string') n += Buffer.byteLength(p) + 4;
    else if (p !== null && typeof p === 'object' && !(p instanceof Date)) n += Buffer.byteLength(JSON.stringify(p)) + 4;
    else n += 12;
  }
  return n;
}
