import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExperimentCounts, ExperimentQuery } from '../src/experiments/counts.js';
import { eventToRows } from '../src/sinks/cassandra/event-rows.js';
import { createCassandraReads } from '../src/sinks/cassandra/reads.js';
import { createDuckDbStore, type DuckDbStore } from '../src/sinks/duckdb/index.js';
import { createLogger } from '../src/telemetry/logger.js';
import { Telemetry } from '../src/telemetry/telemetry.js';
import type { TrackEvent } from '../src/track/event.js';
import { fakeCassandra, storeEvents } from './cassandra-fake.js';
import { contractEvent } from './helpers/sink-contract.js';

const T0 = Date.parse('2026-12-01T10:00:00Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const exposure = (vid: string, split: string, minute: number, extra: Partial<TrackEvent> = {}) =>
  contractEvent({ origin: 'experiment', ename: 'exposure', etyp: 'assigned', xid: 'checkout', split, vid, sid: `s-${vid}`, received: at(minute), params: undefined, ...extra });
const goal = (vid: string, minute: number, extra: Partial<TrackEvent> = {}) =>
  contractEvent({ ename: 'purchase', etyp: 'card', vid, sid: `s-${vid}`, received: at(minute), params: undefined, ...extra });

/**
 * One scripted history, counted by hand:
 *   control: c1 (buys, card), c2 (buys before its exposure only: not a conversion), c3 (nothing)  → 3 units, 1 purchase, 1 card
 *   b:       b1 (buys twice: one unit), b2 (buys by bank: purchase, not card), b3 on the next day (buys) → 3 units, 3 purchases, 2 card
 *   left out: q1 (override to b), m1 (control, then b after a ramp), bot1 (a bot in b, buys)
 *   a stray purchase by a visitor never exposed counts nowhere; another experiment's exposure neither.
 */
const history: TrackEvent[] = [
  exposure('c1', 'control', 0), goal('c1', 5),
  goal('c2', 1), exposure('c2', 'control', 2),
  exposure('c3', 'control', 3),
  exposure('b1', 'b', 0), goal('b1', 1), goal('b1', 2),
  exposure('b2', 'b', 4), goal('b2', 6, { etyp: 'bank' }),
  exposure('b3', 'b', 24 * 60 + 5), goal('b3', 24 * 60 + 6),
  exposure('q1', 'b', 0, { etyp: 'override' }), goal('q1', 1),
  exposure('m1', 'control', 0), exposure('m1', 'b', 60), goal('m1', 61),
  exposure('bot1', 'b', 0, { bot: true }), goal('bot1', 1, { bot: true }),
  goal('stray', 3),
  exposure('c1', 'x', 0, { xid: 'pricing' }),
];
const expected: ExperimentCounts = {
  units: { control: 3, b: 3 },
  conversions: { purchase: { control: 1, b: 3 }, card: { control: 1, b: 2 } },
  excluded: { override: 1, moved: 1, bots: 1 },
};
const query: ExperimentQuery = {
  experiment: 'checkout',
  key: 'vid',
  since: new Date(T0 - 60_000),
  goals: [
    { name: 'purchase', ename: 'purchase' },
    { name: 'card', ename: 'purchase', field: 'etyp', equals: 'card' },
  ],
};

let dir: string;
let duck: DuckDbStore;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-exp-stores-'));
  duck = createDuckDbStore({ config: { path: join(dir, 'events.duckdb') }, telemetry: new Telemetry(createLogger('silent'), { defaultMetrics: false }) });
  await duck.start();
  await duck.write(history);
});
afterAll(async () => {
  await duck?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('experiment counts, the same in both stores', () => {
  it('DuckDB', async () => {
    expect(await duck.experimentCounts(query)).toEqual(expected);
  });

  it('Cassandra (exposures_by_day and events_by_visitor, through the admin reads)', async () => {
    const fake = fakeCassandra();
    storeEvents(fake, history);
    const reads = createCassandraReads(fake, () => T0 + 2 * 86_400_000);
    expect(await reads.experimentCounts(query)).toEqual(expected);
    // One read per day of exposures, then one per counted unit.
    expect(fake.statements.filter((s) => s.query.includes('exposures_by_day'))).toHaveLength(3);
  });

  it('writes an exposure row only for exposures', () => {
    const tables = (e: TrackEvent) => eventToRows(e, { ttlSeconds: 0 }).map((w) => w.table);
    expect(tables(exposure('u', 'b', 0))).toContain('exposures_by_day');
    expect(tables(goal('u', 0))).not.toContain('exposures_by_day');
  });
});
