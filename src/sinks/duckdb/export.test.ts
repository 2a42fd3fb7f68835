import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slicesOf } from './export.js';

let instance: DuckDBInstance;
let conn: DuckDBConnection;
beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  conn = await instance.connect();
});
afterAll(() => {
  conn.closeSync();
  instance.closeSync();
});

const BASE_US = 1_780_000_000_000_000n; // a receive time in 2026, in µs

describe('export slices', () => {
  it('cover the range without gap or overlap, each within its budget unless one millisecond weighs more', async () => {
    // Events as (µs after BASE_US, how many at that moment): bursts in one millisecond, spreads over seconds and hours.
    const moment = fc.tuple(
      fc.oneof(fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: 5_000_000 }), fc.integer({ min: 0, max: 4 * 3_600_000_000 })),
      fc.integer({ min: 1, max: 12 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(moment, { minLength: 0, maxLength: 40 }), fc.integer({ min: 1, max: 30 }), fc.option(fc.integer({ min: 0, max: 3_600_000_000 }), { nil: undefined }), async (moments, sliceRows, sinceUs) => {
        await conn.run('CREATE OR REPLACE TABLE events (received TIMESTAMP, eid VARCHAR)');
        const times = moments.flatMap(([us, n]) => Array.from({ length: n }, () => BASE_US + BigInt(us)));
        for (const t of times) await conn.run('INSERT INTO events VALUES (make_timestamp($1::BIGINT), $2)', [t, 'e']);
        const since = sinceUs === undefined ? undefined : BASE_US + BigInt(sinceUs);
        const plan = await slicesOf(conn, since === undefined ? {} : { since: new Date(Number(since / 1000n)).toISOString() }, sliceRows, 'count(*)');
        const { slices } = plan;
        const wanted = times.filter((t) => since === undefined || t >= (since / 1000n) * 1000n);
        if (wanted.length === 0) {
          expect(slices).toEqual([]);
          return;
        }
        expect(plan.rows).toBe(wanted.length);
        expect(plan.weight).toBe(wanted.length); // weighed by count(*)
        // Consecutive and half-open: each starts where the one before ended.
        for (let i = 1; i < slices.length; i++) expect(slices[i]![0]).toBe(slices[i - 1]![1]);
        // Every wanted event in exactly one slice, and none left out.
        const inSlice = (t: bigint) => slices.filter(([from, to]) => t >= from && t < to).length;
        for (const t of wanted) expect(inSlice(t)).toBe(1);
        for (const [from, to] of slices) {
          const rows = wanted.filter((t) => t >= from && t < to);
          if (rows.length > sliceRows) {
            // Only a single millisecond may hold more than a slice.
            expect(to - from).toBeLessThanOrEqual(1000n);
          }
        }
      }),
      { numRuns: 60 },
    );
  });
});
