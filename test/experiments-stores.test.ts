import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventToRows } from '../src/sinks/cassandra/event-rows.js';
import { createCassandraReads } from '../src/sinks/cassandra/reads.js';
import { createDuckDbStore, type DuckDbStore } from '../src/sinks/duckdb/index.js';
import { createLogger } from '../src/telemetry/logger.js';
import { Telemetry } from '../src/telemetry/telemetry.js';
import type { TrackEvent } from '../src/track/event.js';
import { fakeCassandra, storeEvents } from './cassandra-fake.js';
import { experimentHistory } from './helpers/experiment-history.js';

const T0 = Date.parse('2026-12-01T10:00:00Z');
const { history, expected, query } = experimentHistory(T0);

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
    expect(history.filter((e) => tables(e).includes('exposures_by_day')).map((e) => e.ename)).toEqual(Array(history.filter((e) => e.origin === 'experiment').length).fill('exposure'));
    expect(history.filter((e) => e.origin !== 'experiment').some((e) => tables(e).includes('exposures_by_day'))).toBe(false);
  });
});
