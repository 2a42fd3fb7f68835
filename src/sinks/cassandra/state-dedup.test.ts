import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contractEvent } from '../../../test/helpers/sink-contract.js';
import { UNSET, type CqlWrite } from './cql.js';
import { eventToRows } from './event-rows.js';
import { compareValues, dropOverwrittenState } from './state-dedup.js';

/** Cassandra's resolution of upserts, cell by cell: the higher write time wins, then the greater value. */
type Store = Map<string, { ts: bigint; value: unknown }>;
function apply(store: Store, writes: readonly CqlWrite[]): Store {
  const out: Store = new Map(store);
  for (const w of writes) {
    if (w.table !== 'visitors' && w.table !== 'sessions') continue;
    const columns = /\(([^)]*)\)/.exec(w.query)![1]!.split(', ');
    const keys = w.table === 'visitors' ? 1 : 2;
    const ts = BigInt(w.params.at(-1) as string);
    const row = `${w.table}/${w.params.slice(0, keys).join('/')}`;
    columns.forEach((c, i) => {
      const value = w.params[i];
      if (i < keys || value === UNSET) return;
      const cell = `${row}/${c}`;
      const old = out.get(cell);
      if (!old || ts > old.ts || (ts === old.ts && compareValues(value, old.value) > 0)) out.set(cell, { ts, value });
    });
  }
  return out;
}

const T0 = Date.UTC(2026, 11, 6, 12);
const event = fc.record({
  vid: fc.constantFrom('v1', 'v2'),
  sid: fc.option(fc.constantFrom('s1', 's2'), { nil: undefined }),
  at: fc.integer({ min: 0, max: 3 }), // few times, so ties on the write time are common
  url: fc.option(fc.constantFrom('https://x/a', 'https://x/b', 'https://x/é'), { nil: undefined }),
  uid: fc.option(fc.constantFrom('u1', 'u2'), { nil: undefined }),
  bot: fc.option(fc.boolean(), { nil: undefined }),
  first: fc.option(fc.constant(false), { nil: undefined, freq: 5 }),
});
type Generated = typeof event extends fc.Arbitrary<infer T> ? T : never;
const toEvent = (e: Generated) =>
  contractEvent({ vid: e.vid, sid: e.sid, received: new Date(T0 + e.at).toISOString(), url: e.url, uid: e.uid, bot: e.bot, first: e.first });
const rowsOf = (events: ReturnType<typeof toEvent>[]) => events.flatMap((x) => eventToRows(x, { ttlSeconds: 60 }));

describe('visitor and session upserts within a batch', () => {
  it('leaves exactly the cells the full set of upserts would, over any stored state', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 12 }), fc.array(event, { maxLength: 6 }), (batch, earlier) => {
        const stored = apply(new Map(), rowsOf(earlier.map(toEvent)));
        const rows = rowsOf(batch.map(toEvent));
        const kept = dropOverwrittenState(rows);
        expect(apply(stored, kept)).toEqual(apply(stored, rows));
        expect(kept.filter((w) => w.table !== 'visitors' && w.table !== 'sessions')).toEqual(rows.filter((w) => w.table !== 'visitors' && w.table !== 'sessions'));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps one upsert per visitor and session when the newest event sets every cell', () => {
    const events = [3, 1, 2].map((s) => contractEvent({ vid: 'v', sid: 's', received: new Date(T0 + s * 1000).toISOString(), url: `https://x/${s}` }));
    const kept = dropOverwrittenState(rowsOf(events)).filter((w) => w.table === 'visitors' || w.table === 'sessions');
    expect(kept.map((w) => w.table)).toEqual(['visitors', 'sessions']);
    expect(kept.every((w) => w.params.includes('https://x/3'))).toBe(true);
  });

  it('keeps an older upsert for the cells only it sets, and only those', () => {
    const older = contractEvent({ vid: 'v', sid: undefined, uid: 'u-1', received: new Date(T0).toISOString() });
    const newer = contractEvent({ vid: 'v', sid: undefined, received: new Date(T0 + 1000).toISOString() });
    const kept = dropOverwrittenState(rowsOf([older, newer])).filter((w) => w.table === 'visitors');
    expect(kept).toHaveLength(2);
    const columns = /\(([^)]*)\)/.exec(kept[0]!.query)![1]!.split(', ');
    const set = columns.filter((c, i) => i > 0 && kept[0]!.params[i] !== UNSET);
    expect(set).toEqual(['uid']);
  });

  it('breaks ties on the write time as Cassandra does: the greater serialized value', () => {
    expect(compareValues('b', 'a')).toBeGreaterThan(0);
    expect(compareValues('\u{1F600}', '\uFFFF')).toBeGreaterThan(0); // UTF-8 bytes, not UTF-16 code units
    expect(compareValues(true, false)).toBeGreaterThan(0);
  });
});
