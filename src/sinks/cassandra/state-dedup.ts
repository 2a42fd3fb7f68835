import { UNSET, type CqlWrite } from './cql.js';

/**
 * Visitor and session state written once per row and batch where Cassandra would keep only one write's cells.
 *
 * These upserts carry `USING TIMESTAMP received` (./event-rows.ts), so Cassandra resolves them cell by cell:
 * the highest write time wins, and on equal write times the greater value (the byte order of the serialized
 * value). A visitor with 10 events in a batch used to send 10 upserts of which, for every cell the newest
 * event sets, only the newest survives. This pass applies that same rule within the batch before anything is
 * sent: a write keeps only the cells it would win, and a write that would win none is dropped. The cells
 * stored are then exactly those the full set of writes would leave, whatever is already stored (each kept
 * cell keeps its own write time, so it still loses to a newer stored one) and whatever order the batch had.
 */
const KEY_COLUMNS: Readonly<Record<string, number>> = { visitors: 1, sessions: 2 };

interface Layout {
  keys: number;
  /** Bound values that are columns (the rest are TTL and TIMESTAMP). */
  columns: number;
}

const layouts = new Map<string, Layout>();
function layoutOf(w: CqlWrite, keys: number): Layout {
  let l = layouts.get(w.query);
  if (!l) {
    const list = /^INSERT INTO \w+ \(([^)]*)\)/.exec(w.query)?.[1] ?? '';
    l = { keys, columns: list.split(', ').length };
    layouts.set(w.query, l);
  }
  return l;
}

/**
 * The write time: the last bound value of a state upsert (USING ... TIMESTAMP ?), microseconds as text. As a
 * number it is exact: microseconds since 1970 stay below 2^53 until the year 2255.
 */
const writeTime = (w: CqlWrite): number => Number(w.params[w.params.length - 1] as string);

/** Cassandra's tie-break: compares serialized values, unsigned bytes. */
export function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'string' && typeof b === 'string') return Buffer.compare(Buffer.from(a), Buffer.from(b));
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
  return Buffer.compare(Buffer.from(String(a)), Buffer.from(String(b)));
}

export function dropOverwrittenState(rows: readonly CqlWrite[]): CqlWrite[] {
  const groups = new Map<string, number[]>();
  rows.forEach((w, i) => {
    const keys = KEY_COLUMNS[w.table];
    if (keys === undefined) return;
    const k = `${w.table}\u0000${w.params.slice(0, keys).join('\u0000')}`;
    const g = groups.get(k);
    if (g) g.push(i);
    else groups.set(k, [i]);
  });
  const replaced = new Map<number, CqlWrite | null>();
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    const writes = group.map((i) => rows[i]!);
    const { keys, columns } = layoutOf(writes[0]!, KEY_COLUMNS[writes[0]!.table]!);
    const times = writes.map(writeTime);
    const winners: number[] = [];
    for (let c = keys; c < columns; c++) {
      let winner = -1;
      for (let j = 0; j < writes.length; j++) {
        const v = writes[j]!.params[c];
        if (v === UNSET) continue;
        if (winner < 0 || times[j]! > times[winner]! || (times[j] === times[winner] && compareValues(v, writes[winner]!.params[c]) > 0)) winner = j;
      }
      winners.push(winner);
    }
    group.forEach((i, j) => {
      const w = writes[j]!;
      let wins = 0;
      let loses = 0;
      for (let c = keys; c < columns; c++) {
        if (winners[c - keys] === j) wins++;
        else if (w.params[c] !== UNSET) loses++;
      }
      if (wins === 0) replaced.set(i, null);
      else if (loses > 0) {
        // Only the cells this write wins: the others would be overwritten by a write of this batch.
        const params = [...w.params];
        for (let c = keys; c < columns; c++) if (winners[c - keys] !== j) params[c] = UNSET;
        replaced.set(i, { ...w, params });
      }
    });
  }
  const out: CqlWrite[] = [];
  rows.forEach((w, i) => {
    const r = replaced.get(i);
    if (r !== null) out.push(r ?? w);
  });
  return out;
}
