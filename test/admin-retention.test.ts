import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startGateway } from './helpers/gateway.js';
import { metric, send } from './admin-support.js';
import type { TrackEvent } from '../src/track/event.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-retention-'));
const path = join(dir, 'events.duckdb');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DAY = 86_400_000;
const old = (i: number, daysAgo: number): TrackEvent => ({
  eid: `old-event-${daysAgo}-${i}`,
  received: new Date(Date.now() - daysAgo * DAY).toISOString(),
  origin: 'track',
  ename: 'old',
});

describe('sinks.duckdb.retention', () => {
  it('prunes events older than the retention when the gateway starts, counted in /metrics', async () => {
    const first = await startGateway({ sinks: { duckdb: { path } } });
    try {
      await first.store.write([old(1, 3), old(2, 3), old(3, 10), old(4, 0.5)]);
      await send(first, [{ ename: 'fresh' }, { ename: 'fresh' }]);
      await first.events(2, { ename: 'fresh' });
      expect(await first.store.countEvents({})).toBe(6);
    } finally {
      await first.stop();
    }

    const second = await startGateway({ sinks: { duckdb: { path, retention: '2d' } } });
    try {
      expect(await second.store.countEvents({ ename: 'old' })).toBe(1);
      expect(await second.store.countEvents({ ename: 'fresh' })).toBe(2);
      expect(await metric(second, 'gatehouse_events_pruned_total{sink="duckdb"}')).toBe(3);
    } finally {
      await second.stop();
    }
  });

  it('keeps everything with the default "0s"', async () => {
    const gw = await startGateway({ sinks: { duckdb: { path } } });
    try {
      await gw.store.write([old(9, 400)]);
      expect(await gw.store.countEvents({ ename: 'old' })).toBe(2);
      expect(await metric(gw, 'gatehouse_events_pruned_total{sink="duckdb"}')).toBe(0);
    } finally {
      await gw.stop();
    }
  });
});
