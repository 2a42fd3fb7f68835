import { types } from 'cassandra-driver';

/** One CQL statement with its bound values; `partition` names the partition it writes (table + key). */
export interface CqlWrite {
  query: string;
  params: unknown[];
  table: string;
  partition: string;
  /** The batching estimate of its size (./batching.ts), when the builder already knows it. */
  bytes?: number;
}

/**
 * Leaves a cell untouched. Binding null instead would write a tombstone for every absent field (most of the
 * 60 event columns), which Cassandra must then keep and skip on every read until compaction.
 */
export const UNSET: unknown = types.unset;

export const orUnset = (v: unknown): unknown => (v === null || v === undefined ? UNSET : v);

/** `USING TTL ? [AND TIMESTAMP ?]` and its values: no TTL clause when retention is 0 (kept forever). */
export function using(ttlSeconds: number, timestampMicros?: string): { clause: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  if (ttlSeconds > 0) {
    parts.push('TTL ?');
    params.push(ttlSeconds);
  }
  if (timestampMicros !== undefined) {
    parts.push('TIMESTAMP ?');
    params.push(timestampMicros);
  }
  return { clause: parts.length ? ` USING ${parts.join(' AND ')}` : '', params };
}

/** Retention (ms) to a TTL in whole seconds, rounded up so a row never expires early. */
export function ttlSeconds(retentionMs: number): number {
  return retentionMs > 0 ? Math.ceil(retentionMs / 1000) : 0;
}

const DAY_MS = 86_400_000;
let lastDay = NaN;
let lastDayText = '';

/**
 * The UTC date of a time, as CQL `date` text ('YYYY-MM-DD'). Every row of an event needs it and a batch's
 * events share a day or two, so the last day's text is kept (an invalid date still throws, as toISOString does).
 */
export function dayOf(date: Date): string {
  const day = Math.floor(date.getTime() / DAY_MS);
  if (day !== lastDay) {
    lastDayText = date.toISOString().slice(0, 10);
    lastDay = day;
  }
  return lastDayText;
}

/** Write time in microseconds, as text: the driver encodes it as bigint whether it uses Long or BigInt. */
export function micros(date: Date): string {
  return `${date.getTime()}000`;
}

export function insert(table: string, columns: readonly string[], values: readonly unknown[], suffix = '', extra: unknown[] = []) {
  return {
    query: `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})${suffix}`,
    params: [...values, ...extra],
  };
}
