import { parseConfig } from '../src/settings/load.js';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../src/telemetry/logger.js';
import { Telemetry } from '../src/telemetry/telemetry.js';
import { contractEvent, contractRecords, sinkContract } from './helpers/sink-contract.js';
import { createDuckDbStore, cursorAfter, type DuckDbStore } from '../src/sinks/duckdb/index.js';
import { EVENT_COLUMNS } from '../src/sinks/event-columns.js';
import { LATEST_VERSION, copyEventsByReceived, copyRecordsByTime, migrate, schemaVersion } from '../src/sinks/duckdb/migrations.js';
import { SinkQueryError, SinkStartError } from '../src/sinks/errors.js';
import { SinkWriteError } from '../src/sinks/sink.js';
import { ROW_GROUP_SIZE, openDatabase } from '../src/sinks/duckdb/database.js';
import { SQL_TYPES, madeAtReceipt } from '../src/sinks/duckdb/event-writer.js';
import { uuidv7 } from '../src/track/uuid7.js';
import fc from 'fast-check';
import type { TrackEvent } from '../src/track/event.js';
import type { ServiceRecord } from '../src/sinks/sink.js';
import { sampleBatch } from './helpers/cassandra-batch.js';
import { duckDbAdminStore } from '../src/admin/duckdb-admin.js';

const telemetry = () => new Telemetry(createLogger('silent'), { defaultMetrics: false });

function tempFile(): { path: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-duckdb-'));
  return { path: join(dir, 'nested', 'store.duckdb'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

sinkContract('duckdb', async () => {
  const file = tempFile();
  const store = createDuckDbStore({ config: { path: file.path }, telemetry: telemetry() });
  await store.start();
  return {
    sink: store,
    readEvents: async (eids) => (await store.queryEvents({ limit: 10_000 })).filter((e) => eids.includes(e.eid)),
    countRecords: async (records) => {
      let n = 0;
      for (const kind of new Set(records.map((r) => r.kind))) n += await store.countRecords(kind);
      return n;
    },
    cleanup: async () => file.remove(),
  };
});

describe('DuckDB store', () => {
  let file: ReturnType<typeof tempFile>;
  let store: DuckDbStore;

  beforeEach(async () => {
    file = tempFile();
    store = createDuckDbStore({ config: { path: file.path }, telemetry: telemetry() });
    await store.start();
  });
  afterEach(async () => {
    await store.close();
    file.remove();
  });

  it('keeps its data when the file is closed and opened again', async () => {
    const event = contractEvent();
    await store.write([event]);
    await store.put({ slug: 'keep', url: 'https://example.com/', created: event.received, updated: event.received });
    await store.close();
    store = createDuckDbStore({ config: { path: file.path }, telemetry: telemetry() });
    await store.start();
    expect(await store.queryEvents()).toEqual([event]);
    expect((await store.get('keep'))?.url).toBe('https://example.com/');
  });

  it('reports the memory DuckDB holds in /metrics while open (gatehouse_duckdb_memory_bytes by tag), and nothing once closed', async () => {
    const t = telemetry();
    const ownFile = tempFile();
    const own = createDuckDbStore({ config: { path: ownFile.path }, telemetry: t });
    await own.start();
    await own.write(Array.from({ length: 500 }, () => contractEvent()));
    const held = async () => ((await t.registry.getSingleMetric('gatehouse_duckdb_memory_bytes')?.get())?.values ?? []).reduce((sum, v) => sum + v.value, 0);
    expect(await held()).toBeGreaterThan(0);
    await own.close();
    ownFile.remove();
    expect(await held()).toBe(0);
  });

  it('bounds the buffer pool by default: 512 MB unless configured, and at least what the largest accepted event needs (0: DuckDB\'s own)', () => {
    const memory = (raw: Record<string, Record<string, unknown>>) => parseConfig(raw, 'test', {}).sinks.duckdb.memoryLimit;
    expect(memory({})).toBe(512 * 1000 * 1000);
    expect(parseConfig({}, 'test', {}).spool.maxEventSize).toBe(96_000);
    expect(memory({ sinks: { duckdb: { memoryLimit: '0B' } } })).toBe(0);
    // 96 MB and 4,096 times spool.maxEventSize: 489.2 MB for the default 96KB, 112.4 MB for 4KB.
    expect(memory({ sinks: { duckdb: { memoryLimit: '490MB' } } })).toBe(490 * 1000 * 1000);
    expect(() => memory({ sinks: { duckdb: { memoryLimit: '489MB' } } })).toThrow(/sinks\/duckdb\/memoryLimit: must be 0 .* or at least 490MB for events of up to spool.maxEventSize \(96000 bytes\)/);
    expect(memory({ spool: { maxEventSize: '4KB' }, sinks: { duckdb: { memoryLimit: '113MB' } } })).toBe(113 * 1000 * 1000);
    expect(() => memory({ spool: { maxEventSize: '4KB' }, sinks: { duckdb: { memoryLimit: '112MB' } } })).toThrow(/at least 113MB/);
    expect(() => memory({ spool: { maxEventSize: '3KB' } })).toThrow(/spool\/maxEventSize: must be from 4KB/);
    expect(() => memory({ spool: { maxEventSize: '513KB' }, sinks: { duckdb: { memoryLimit: '0B' } } })).toThrow(/spool\/maxEventSize: must be from 4KB .* to 512KB/);
  });

  it('applies memoryLimit as DuckDB\'s memory_limit, and leaves DuckDB\'s default without it', async () => {
    const setting = (path: string, memoryLimit?: number) => settingOf(path, { memoryLimit }, 'memory_limit');
    const limited = tempFile();
    const plain = tempFile();
    try {
      expect(await setting(limited.path, 64 * 1024 * 1024)).toMatch(/^64(\.0)? MiB$/);
      expect(await setting(plain.path)).not.toMatch(/^64(\.0)? MiB$/);
    } finally {
      limited.remove();
      plain.remove();
    }
  });

  it('runs DuckDB with one thread per CPU the process may run on, or with sinks.duckdb.threads', async () => {
    const threadsOf = async (path: string, threads?: number) => Number(await settingOf(path, { threads }, 'threads'));
    const auto = tempFile();
    const set = tempFile();
    try {
      expect(await threadsOf(auto.path)).toBe(availableParallelism());
      expect(await threadsOf(set.path, 3)).toBe(3);
    } finally {
      auto.remove();
      set.remove();
    }
    expect(parseConfig({}, 'test', {}).sinks.duckdb.threads).toBe(0);
    // A process pinned to one core (taskset, a cpuset): one thread, where DuckDB on its own counts the machine's cores.
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-threads-'));
    try {
      const script = `
        import { DuckDBInstance } from '@duckdb/node-api';
        import { openDatabase } from './src/sinks/duckdb/database.ts';
        const db = await openDatabase(${JSON.stringify(join(dir, 'pinned.duckdb'))});
        const ours = await db.exclusive((c) => c.runAndReadAll("SELECT current_setting('threads') AS v"));
        await db.release();
        const plain = await (await DuckDBInstance.create(':memory:')).connect();
        const duckdbs = await plain.runAndReadAll("SELECT current_setting('threads') AS v");
        console.log(JSON.stringify({ ours: Number(ours.getRowObjects()[0].v), duckdbs: Number(duckdbs.getRowObjects()[0].v) }));`;
      const out = execFileSync('taskset', ['-c', '0', process.execPath, '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
      const { ours, duckdbs } = JSON.parse(out.trim().split('\n').at(-1)!) as { ours: number; duckdbs: number };
      expect(ours).toBe(1);
      expect(duckdbs).toBe(cpus().length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('checkpoints a file every 8 MiB of WAL, not at DuckDB\'s 16 MB default (shorter pauses in the consumer)', async () => {
    const file = tempFile();
    const db = await openDatabase(file.path, {});
    try {
      const read = await db.exclusive((c) => c.runAndReadAll("SELECT current_setting('checkpoint_threshold') AS v"));
      expect(String(read.getRowObjects()[0]?.v)).toMatch(/^8(\.0)? MiB$/);
    } finally {
      await db.release();
      file.remove();
    }
  });

  it('writes row groups of ROW_GROUP_SIZE rows (short checkpoint pauses), in a file other processes can open', async () => {
    const events = Array.from({ length: ROW_GROUP_SIZE + 100 }, (_, i) => contractEvent({ eid: `rowgroup-${String(i).padStart(8, '0')}` }));
    await store.write(events);
    await store.close();
    // Opened as any DuckDB user would: the file is a plain DuckDB database.
    const instance = await DuckDBInstance.create(file.path);
    const conn = await instance.connect();
    const groups = await conn.runAndReadAll("SELECT count(DISTINCT row_group_id) AS n FROM pragma_storage_info('events')");
    const rows = await conn.runAndReadAll('SELECT count(*) AS n FROM events');
    conn.closeSync();
    instance.closeSync();
    expect(Number(rows.getRowObjects()[0]?.n)).toBe(ROW_GROUP_SIZE + 100);
    expect(Number(groups.getRowObjects()[0]?.n)).toBe(2);
    store = createDuckDbStore({ config: { path: file.path }, telemetry: telemetry() });
    await store.start();
  });

  it('lists newest first, filters, and pages with a cursor', async () => {
    const base = Date.parse('2024-05-01T10:00:00.000Z');
    const at = (s: number) => new Date(base + s * 1000).toISOString();
    const events = [0, 1, 2, 3, 4].map((s) =>
      contractEvent({ received: at(s), ename: s % 2 ? 'click' : 'load', vid: 'v1', uid: s < 2 ? 'u1' : 'u2' }),
    );
    await store.write(events);
    expect((await store.queryEvents()).map((e) => e.received)).toEqual([4, 3, 2, 1, 0].map(at));
    expect(await store.countEvents({ ename: 'click' })).toBe(2);
    expect(await store.countEvents({ since: at(1), until: at(3) })).toBe(2);
    const page1 = await store.queryEvents({ limit: 2 });
    const page2 = await store.queryEvents({ limit: 2, before: cursorAfter(page1[1]!) });
    const page3 = await store.queryEvents({ limit: 2, before: cursorAfter(page2[1]!) });
    expect([...page1, ...page2, ...page3].map((e) => e.received)).toEqual([4, 3, 2, 1, 0].map(at));
    await expect(store.queryEvents({ before: 'nonsense' })).rejects.toBeInstanceOf(SinkQueryError);
    await expect(store.countEvents({ since: 'yesterday' })).rejects.toBeInstanceOf(SinkQueryError);
  });

  it('pages through events that share one receive time', async () => {
    const received = '2024-05-01T10:00:00.000Z';
    await store.write([1, 2, 3].map(() => contractEvent({ received })));
    const first = await store.queryEvents({ limit: 2 });
    const rest = await store.queryEvents({ limit: 2, before: cursorAfter(first[1]!) });
    expect(new Set([...first, ...rest].map((e) => e.eid)).size).toBe(3);
  });

  it('deletes the events of a visitor or of a user', async () => {
    await store.write([
      contractEvent({ vid: 'gone' }),
      contractEvent({ vid: 'gone' }),
      contractEvent({ vid: 'stays', uid: 'user-x' }),
      contractEvent({ vid: 'stays' }),
    ]);
    expect(await store.deleteEvents({ vid: 'gone' })).toBe(2);
    expect(await store.deleteEvents({ uid: 'user-x' })).toBe(1);
    expect(await store.deleteEvents({ vid: 'nobody' })).toBe(0);
    expect((await store.queryEvents()).map((e) => e.vid)).toEqual(['stays']);
    await expect(store.deleteEvents({ vid: '' })).rejects.toBeInstanceOf(SinkQueryError);
  });

  it('prunes events older than the retention', async () => {
    const old = contractEvent({ received: new Date(Date.now() - 10 * 86_400_000).toISOString() });
    const fresh = contractEvent();
    await store.write([old, fresh]);
    expect(await store.pruneOlderThan(7 * 86_400_000)).toBe(1);
    expect((await store.queryEvents()).map((e) => e.eid)).toEqual([fresh.eid]);
  });

  it('refuses a batch holding an event without a valid receive time, storing none of it', async () => {
    const good = contractEvent();
    await expect(store.write([good, contractEvent({ received: 'soon' })])).rejects.toBeInstanceOf(SinkWriteError);
    expect(await store.countEvents()).toBe(0);
  });

  it('coerces mistyped fields instead of failing the batch', async () => {
    const event = { ...contractEvent(), w: '1024', score: 'high', first: 'false', params: { n: 5 } } as unknown as ReturnType<
      typeof contractEvent
    >;
    await store.write([event]);
    const [stored] = await store.queryEvents();
    expect(stored).toMatchObject({ w: 1024, first: false, params: { n: '5' } });
    expect(stored?.score).toBeUndefined();
  });

  it('stores every value and every NULL of a batch larger than one data chunk, across both chunks', async () => {
    // 2,500 rows: two chunks of DuckDB's 2,048. Each typed column has NULLs in some rows; `city` has them only in
    // the first chunk and `tz` only in the second (a reused chunk must not carry NULLs over); one receive time is
    // before 1970 (a negative timestamp).
    const base = Math.floor(Date.now() / 1000) * 1000;
    const events = Array.from({ length: 2_500 }, (_, i) => {
      const e = contractEvent({ received: new Date(base - i * 1000).toISOString(), url: `https://contract.example/${i}` });
      const fields = e as unknown as Record<string, unknown>;
      for (const key of ['score', 'w', 'h', 'first', 'bot', 'params'] as const) delete fields[key];
      if (i % 2 === 0) Object.assign(fields, { w: i, score: i / 4 });
      if (i % 3 !== 0) fields.h = -i;
      if (i % 5 === 0) fields.first = i % 10 === 0;
      if (i % 4 === 1) fields.bot = true;
      if (i % 7 === 0) fields.params = { k: String(i), 'ü ✓': 'x\u0000y' };
      if (i >= 2_048 || i % 3 === 0) fields.city = `c${i}`;
      if (i < 2_048) fields.tz = `tz${i}`;
      if (i === 2_499) fields.received = '1969-12-31T23:59:59.999Z';
      return e;
    });
    await store.write(events);
    const stored = await store.queryEvents({ limit: 10_000 });
    const byEid = (a: { eid: string }, b: { eid: string }) => (a.eid < b.eid ? -1 : 1);
    expect(stored.sort(byEid)).toEqual([...events].sort(byEid));
  });

  it('refuses to start on a file whose events column has another type than the one it writes', async () => {
    await store.close();
    await withRawConnection(file.path, (conn) => conn.run('ALTER TABLE events ALTER w TYPE BIGINT').then(() => undefined));
    store = createDuckDbStore({ config: { path: file.path }, telemetry: telemetry() });
    await expect(store.start()).rejects.toThrow(/events column w is BIGINT in this file; Gatehouse writes it as INTEGER/);
  });

  it('counts service records per kind', async () => {
    await store.writeRecords(contractRecords());
    expect(await store.countRecords('log')).toBe(1);
    expect(await store.countRecords('count')).toBe(1);
    expect(await store.countRecords('update')).toBe(1);
    await expect(store.writeRecords([{ ...contractRecords()[0]!, time: 'later' }])).rejects.toBeInstanceOf(SinkWriteError);
  });

  it('keeps short links with their history', async () => {
    const t0 = '2024-05-01T10:00:00.000Z';
    const t1 = '2024-05-02T10:00:00.000Z';
    expect(await store.get('promo')).toBeUndefined();
    await store.put({ slug: 'promo', url: 'https://example.com/a', created: t0, updated: t0 });
    await store.put({ slug: 'promo', url: 'https://example.com/a', created: t0, updated: t0 }); // no change
    await store.put({ slug: 'promo', url: 'https://example.com/b', host: 'go.example', created: t1, updated: t1 });
    await store.put({ slug: 'other', url: 'https://example.com/c', created: t0, updated: t0 });
    expect(await store.get('promo')).toEqual({ slug: 'promo', url: 'https://example.com/b', host: 'go.example', created: t0, updated: t1 });
    expect((await store.list()).map((l) => l.slug)).toEqual(['other', 'promo']);
    expect(await store.delete('promo')).toBe(true);
    expect(await store.delete('promo')).toBe(false);
    expect(await store.get('promo')).toBeUndefined();
    const history = await store.linkHistory('promo');
    expect(history.map((h) => [h.action, h.url ?? null])).toEqual([
      ['create', 'https://example.com/a'],
      ['update', 'https://example.com/b'],
      ['delete', null],
    ]);
  });

  it('serialises concurrent batches on the one connection', async () => {
    const batches = [0, 1, 2, 3].map(() => Array.from({ length: 50 }, () => contractEvent()));
    await Promise.all(batches.map((b) => store.write(b)));
    expect(await store.countEvents()).toBe(200);
  });

  it('stores redelivered batches, and batches mixing stored and new eids, without failing one', async () => {
    // A failed append's rows, flushed again when the collector finalizes its appender, aborted the transaction of
    // the batch's retry ("Current transaction is aborted (please ROLLBACK)"), at whatever moment the GC ran: the
    // collector runs every millisecond here, so that moment falls inside the retry.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const stored = Array.from({ length: 2_000 }, () => contractEvent());
    for (let i = 0; i < stored.length; i += 200) await store.write(stored.slice(i, i + 200));
    const added: TrackEvent[] = [];
    const timer = setInterval(gc, 1);
    try {
      for (let k = 0; k < 20; k++) {
        const fresh = Array.from({ length: 50 }, () => contractEvent());
        added.push(...fresh);
        await store.write(stored.slice(k * 100, k * 100 + 150)); // a redelivery
        await store.write([...stored.slice(k * 100, k * 100 + 150), ...fresh]); // a redelivery with new events
      }
    } finally {
      clearInterval(timer);
    }
    expect(await store.countEvents()).toBe(stored.length + added.length);
    // A collection every millisecond makes this test's time GC-bound: ~6 s on a quiet machine, over 60 s on a
    // loaded one (load average 15) while nothing is wrong.
  }, 240_000);

  it('shares one open file between two stores of the process', async () => {
    const second = createDuckDbStore({ config: { path: file.path }, telemetry: telemetry() });
    await second.start();
    await second.write([contractEvent()]);
    await second.close();
    expect(await store.countEvents()).toBe(1);
    expect((await store.healthcheck()).status).toBe('up');
  });
});

describe('DuckDB migrations', () => {
  it('migrates a file written at an older schema version, keeping its rows', async () => {
    const file = tempFile();
    try {
      await withRawConnection(file.path, async (conn) => {
        expect(await migrate(conn, 1)).toEqual([1]);
        await conn.run(`INSERT INTO events (eid, received, origin, vid) VALUES ('old-1', '2024-01-01 00:00:00', 'track', 'v-old')`);
      });
      const store = createDuckDbStore({ config: { path: file.path }, telemetry: telemetry() });
      await store.start();
      expect((await store.queryEvents())[0]).toEqual({ eid: 'old-1', received: '2024-01-01T00:00:00.000Z', origin: 'track', vid: 'v-old' });
      await store.put({ slug: 'new', url: 'https://example.com/', created: '2024-01-01T00:00:00.000Z', updated: '2024-01-01T00:00:00.000Z' });
      expect(await store.linkHistory('new')).toHaveLength(1);
      await store.writeRecords(contractRecords());
      await store.close();
      await withRawConnection(file.path, async (conn) => expect(await schemaVersion(conn)).toBe(LATEST_VERSION));
    } finally {
      file.remove();
    }
  });

  it('repairs params holding lone surrogates written before version 4, so the file exports again', async () => {
    const file = tempFile();
    try {
      // Rows as an older gateway wrote them (the writer does not check JSON), in a file then set back to version 3.
      const old = createDuckDbStore({ config: { path: file.path }, telemetry: telemetry() });
      await old.start();
      await old.write([
        contractEvent({ eid: 'lone-1', params: { k: '\udfff', '\ud800': 'a\ud83dz', run: '\udc00\udc00\udc00' } }),
        contractEvent({ eid: 'literal-1', params: { k: '\\udfff', e: '😀' } }),
      ]);
      await old.close();
      await withRawConnection(file.path, async (conn) => {
        await conn.run('DELETE FROM schema_version WHERE version > 3');
        // Columns added by later versions go too, so the file is what version 3 made (migration 5 adds trace_id).
        await conn.run('ALTER TABLE events DROP COLUMN trace_id');
      });
      const store = createDuckDbStore({ config: { path: file.path }, telemetry: telemetry() });
      await store.start();
      try {
        const byEid = new Map((await store.queryEvents()).map((e) => [e.eid, e.params]));
        expect(byEid.get('lone-1')).toEqual({ k: '\ufffd', '\ufffd': 'a\ufffdz', run: '\ufffd\ufffd\ufffd' });
        expect(byEid.get('literal-1')).toEqual({ k: '\\udfff', e: '😀' });
        const out = join(dirname(file.path), 'export.ndjson');
        expect(await store.exportEvents({}, 'ndjson', out)).toBe(2);
      } finally {
        await store.close();
      }
    } finally {
      file.remove();
    }
  });

  it('has an events table with one column per event field, in the model types', async () => {
    await withRawConnection(':memory:', async (conn) => {
      await migrate(conn);
      const rows = (
        await conn.runAndReadAll(
          `SELECT column_name AS name, data_type AS type FROM information_schema.columns WHERE table_name = 'events' ORDER BY ordinal_position`,
        )
      ).getRowObjectsJS();
      expect(rows.map((r) => `${String(r.name)} ${String(r.type)}`).sort()).toEqual(
        EVENT_COLUMNS.map((c) => `${c.name} ${SQL_TYPES[c.kind]}`).sort(),
      );
    });
  });

  it('refuses a file from a newer Gatehouse', async () => {
    const file = tempFile();
    try {
      await withRawConnection(file.path, async (conn) => {
        await migrate(conn);
        await conn.run(`INSERT INTO schema_version VALUES (${LATEST_VERSION + 1}, now())`);
      });
      const store = createDuckDbStore({ config: { path: file.path }, telemetry: telemetry() });
      await expect(store.start()).rejects.toBeInstanceOf(SinkStartError);
      await store.close();
    } finally {
      file.remove();
    }
  });
});

describe('DuckDB event key: (received, eid), looked up by the writer', () => {
  const at = (iso: string, fields: Partial<TrackEvent> = {}) => contractEvent({ received: iso, ...fields });
  /** A started store on a new file with this retry window, closed and removed after `fn`. */
  async function withStore(retryWindow: number, fn: (store: DuckDbStore, t: Telemetry, dir: string) => Promise<void>, memoryLimit?: number): Promise<void> {
    const file = tempFile();
    const t = telemetry();
    const store = createDuckDbStore({ config: { path: file.path, retryWindow, ...(memoryLimit ? { memoryLimit } : {}) }, telemetry: t });
    try {
      await store.start();
      await fn(store, t, dirname(file.path));
    } finally {
      await store.close();
      file.remove();
    }
  }

  it("stores a client's retry of its own eid once within sinks.duckdb.retryWindow, and again past it", async () => {
    await withStore(120_000, async (store) => {
      const eid = 'client-own-id-1';
      await store.write([at('2026-03-01T10:00:00.000Z', { eid })]);
      // The retry comes in a later request (a later receive time), beside a new event, in either order.
      await store.write([at('2026-03-01T10:01:30.000Z', { eid }), at('2026-03-01T10:01:30.000Z', { eid: 'client-own-id-2' })]);
      await store.write([at('2026-03-01T10:00:10.000Z', { eid: 'client-own-id-2' })]);
      expect(await store.countEvents()).toBe(2);
      expect((await store.queryEvents()).find((e) => e.eid === eid)?.received).toBe('2026-03-01T10:00:00.000Z');
      // Past the window it is another request as far as the store can tell.
      await store.write([at('2026-03-01T10:05:00.000Z', { eid })]);
      expect(await store.countEvents()).toBe(3);
    });
  });

  it('stores a retry twice when the window is off, and a redelivery (same receive time) once whatever the window', async () => {
    await withStore(0, async (store) => {
      const first = at('2026-03-01T10:00:00.000Z', { eid: 'client-own-id-3' });
      await store.write([first]);
      await store.write([first, at('2026-03-01T10:00:05.000Z', { eid: 'new-4' })]);
      expect(await store.countEvents()).toBe(2);
      await store.write([at('2026-03-01T10:00:10.000Z', { eid: 'client-own-id-3' })]);
      expect(await store.countEvents()).toBe(3);
    });
  });

  it('reads back every text value as written, short or long, ASCII or not', async () => {
    const text = fc.oneof(
      fc.string({ maxLength: 14 }),
      fc.string({ unit: 'binary', maxLength: 14 }),
      fc.string({ unit: 'grapheme', minLength: 10, maxLength: 14 }),
      fc.constantFrom('', 'a', 'exactly12chr', 'thirteen-char', 'é', '\u0000', 'tab\there'),
    ).map((v) => v.toWellFormed());
    await withStore(0, async (store) => {
      let n = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(fc.record({ ename: text, culture: text, campaign: text, url: text }), { minLength: 1, maxLength: 30 }), async (fields) => {
          const base = Date.parse('2026-03-01T00:00:00.000Z') + n * 1000;
          const batch = fields.map((f, i) => at(new Date(base).toISOString(), { eid: `text-${n}-${i}`, ...f }));
          n++;
          await store.write(batch);
          const back = await store.queryEvents({ since: batch[0]!.received, until: new Date(base + 1).toISOString(), limit: 100 });
          const byEid = new Map(back.map((e) => [e.eid, e]));
          for (const e of batch) {
            const read = byEid.get(e.eid)!;
            expect([read.ename, read.culture, read.campaign, read.url]).toEqual([e.ename, e.culture, e.campaign, e.url]);
          }
        }),
        { numRuns: 60 },
      );
    });
  });

  it('stores a redelivery once when another store of the process wrote the first copy (they share the file)', async () => {
    const file = tempFile();
    const a = createDuckDbStore({ config: { path: file.path }, telemetry: telemetry() });
    const b = createDuckDbStore({ config: { path: file.path }, telemetry: telemetry() });
    try {
      await a.start();
      await b.start();
      const later = at('2026-03-01T10:00:05.000Z', { eid: uuidv7(Date.parse('2026-03-01T10:00:05.000Z')) });
      await b.write([at('2026-03-01T10:00:03.000Z', { eid: uuidv7(Date.parse('2026-03-01T10:00:03.000Z')) })]);
      await a.write([later]);
      // b's own newest write is older than `later`: only the file's mark, which a moved, tells b to look it up.
      await b.write([later]);
      expect(await b.countEvents()).toBe(2);
    } finally {
      await a.close();
      await b.close();
      file.remove();
    }
  });

  it('holds no index of the events in memory when eids are random (clients\' own ids)', async () => {
    await withStore(0, async (store, t) => {
      // 300,000 events with random UUIDv4 eids, a thousand a second of receive time. Keyed by eid alone, the index
      // held ~87 bytes an event in memory (26 MB here, growing until the memory limit failed every write); keyed
      // by (received, eid), 3-9 MB; with the writer's lookup, none (the links table's key is all that is left).
      const start = Date.parse('2026-03-01T00:00:00.000Z');
      for (let b = 0; b < 300; b++) await store.write(sampleBatch(1_000, 200, start + b * 1_000));
      expect(await store.countEvents()).toBe(300_000);
      const text = await t.metrics();
      const art = Number(/gatehouse_duckdb_memory_bytes\{tag="ART_INDEX"\} (\d+)/.exec(text)?.[1] ?? 0);
      expect(art).toBeLessThan(2 * 1024 * 1024);
    });
  }, 120_000);

  it('exports more events than one sorted COPY can hold in its memory limit, in every format, oldest first', async () => {
    await withStore(0, async (store, _t, dir) => {
      // 60,000 events of ~1 KB at a 64 MB limit: a sorted ndjson COPY of them all at once ran out of memory (so did
      // one of ~100,000 at the 128 MB default, and Parquet of 600,000); the export goes a slice of receive times
      // at a time (src/sinks/duckdb/export.ts).
      const start = Date.parse('2026-03-01T00:00:00.000Z');
      const raw = 'r'.repeat(300);
      for (let b = 0; b < 60; b++) await store.write(sampleBatch(1_000, 200, start + b * 1_000).map((e) => ({ ...e, raw })));
      for (const format of ['ndjson', 'csv', 'parquet'] as const) {
        expect(await store.exportEvents({}, format, join(dir, `all.${format}`)), format).toBe(60_000);
      }
      const lines = readFileSync(join(dir, 'all.ndjson'), 'utf8').trimEnd().split('\n');
      expect(lines).toHaveLength(60_000);
      const keys = lines.map((l) => { const e = JSON.parse(l) as { received: string; eid: string }; return `${e.received} ${e.eid}`; });
      expect(keys.every((k, i) => i === 0 || keys[i - 1]! <= k)).toBe(true);
      expect(new Set(keys).size).toBe(60_000);
      expect(readFileSync(join(dir, 'all.csv'), 'utf8').trimEnd().split('\n')).toHaveLength(60_001); // one header
      const reader = await DuckDBInstance.create(':memory:');
      const rc = await reader.connect();
      const inOrder = await rc.runAndReadAll(
        `SELECT count(*), count(*) FILTER (WHERE before_received IS NOT NULL AND (received, eid) < (before_received, before_eid)) FROM (
           SELECT received, eid, lag(received) OVER w AS before_received, lag(eid) OVER w AS before_eid
           FROM read_parquet('${join(dir, 'all.parquet')}', file_row_number = true) WINDOW w AS (ORDER BY file_row_number))`,
      );
      expect(inOrder.getRows()[0]).toEqual([60_000n, 0n]);
      rc.closeSync();
      reader.closeSync();
    }, 64 * 1024 * 1024);
  }, 120_000);

  it('stores and exports events as large as spool.maxEventSize at the default memoryLimit, in every format', async () => {
    const defaults = parseConfig({}, 'test', {});
    const limit = defaults.spool.maxEventSize;
    await withStore(0, async (store, _t, dir) => {
      // 2,560 events of ~96 KB, more than one of DuckDB's 2,048-row vectors. At 128 MB DuckDB's checkpoint failed
      // on events of 29.5 KB and invalidated the file, and exports of 8 KB events ran out of memory (ndjson); at
      // 256 MB exports of 64 KB events did, and two export threads on 32 KB ones (docs/input-limits.md, "Event size").
      const N = 2_560;
      const start = Date.parse('2026-03-01T00:00:00.000Z');
      const events = [];
      for (let b = 0; b < N / 256; b++) {
        const batch = sampleBatch(256, 50, start + b * 1_000).map((e, i) => {
          const head = JSON.stringify({ ...e, raw: '' });
          const raw = `${b}.${i}:${'k=v&n=12345;'.repeat(Math.ceil(limit / 12))}`.slice(0, limit - Buffer.byteLength(head));
          return { ...e, raw };
        });
        for (const e of batch) expect(Buffer.byteLength(JSON.stringify(e))).toBeLessThanOrEqual(limit);
        await store.write(batch);
        events.push(...batch);
      }
      expect(await store.countEvents()).toBe(N);
      for (const format of ['ndjson', 'csv', 'parquet'] as const) {
        expect(await store.exportEvents({}, format, join(dir, `big.${format}`)), format).toBe(N);
      }
      const rawOf = new Map(events.map((e) => [e.eid, e.raw]));
      const lines = readFileSync(join(dir, 'big.ndjson'), 'utf8').trimEnd().split('\n');
      expect(lines).toHaveLength(N);
      for (const line of lines) {
        const e = JSON.parse(line) as { eid: string; raw: string };
        expect(e.raw === rawOf.get(e.eid), e.eid).toBe(true);
      }
      // The listing: one sorted query of this many such events ran out of memory; it is read 512 at a time.
      const newestFirst = [...events].sort((a, b) => (a.received === b.received ? (a.eid < b.eid ? 1 : -1) : a.received < b.received ? 1 : -1)).map((e) => e.eid);
      const listed = await store.queryEvents({ limit: N });
      expect(listed.map((e) => e.eid)).toEqual(newestFirst);
      expect(listed.every((e) => e.raw === rawOf.get(e.eid))).toBe(true);
      // The admin API's pages stop at ~32 MB of text with a `next`, as a Cassandra page may: followed, every event once.
      const admin = duckDbAdminStore(store);
      const pages: number[] = [];
      const paged: string[] = [];
      let before: string | undefined;
      for (;;) {
        const page = await admin.queryEvents!({ limit: 10_000, ...(before ? { before } : {}) });
        pages.push(page.events.length);
        paged.push(...page.events.map((e) => e.eid));
        if (!page.next) break;
        before = page.next;
      }
      expect(pages.length).toBeGreaterThan(1);
      expect(pages.every((n) => n > 0 && n < N)).toBe(true);
      expect(paged).toEqual(newestFirst);
    }, defaults.sinks.duckdb.memoryLimit);
  }, 180_000);

  it('stores each event once whatever is sent again, in any batches and order (redeliveries, retries, old and new mixed)', async () => {
    const base = Date.parse('2026-03-01T00:00:00.000Z');
    // An event: its receive time (seconds into a day: batches span far apart times, so the lookup scans several
    // spans) and whether its eid is the gateway's own (a UUIDv7 of that time) or a client's.
    const event = fc.record({ second: fc.integer({ min: 0, max: 86_400 }), own: fc.boolean(), client: fc.integer({ min: 0, max: 5 }) });
    // A send: an event of the pool again (a redelivery: the same receive time), or a client's retry of one
    // (the same eid, received `later` seconds after).
    const send = fc.record({ pick: fc.nat(), later: fc.option(fc.integer({ min: 1, max: 400 }), { nil: undefined }) });
    const batches = fc.array(fc.array(send, { minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 8 });
    await fc.assert(
      fc.asyncProperty(fc.array(event, { minLength: 1, maxLength: 30 }), batches, fc.constantFrom(0, 120_000), async (pool, sends, windowMs) => {
        const events = pool.map((e, i) => {
          const ms = base + e.second * 1000;
          return { ms, eid: e.own ? uuidv7(ms) : `client-${e.client}-${i % 3}` };
        });
        // The model: a (received, eid) is stored once; a client's eid also counts as stored within the window.
        const stored: { eid: string; ms: number }[] = [];
        const isOwn = (eid: string, ms: number) => madeAtReceipt(eid, ms);
        const isStored = (eid: string, ms: number) =>
          stored.some((s) => s.eid === eid && (s.ms === ms || (windowMs > 0 && !isOwn(eid, ms) && Math.abs(s.ms - ms) <= windowMs)));
        await withStore(windowMs, async (store) => {
          for (const batch of sends) {
            const sent = batch.map(({ pick, later }) => {
              const e = events[pick % events.length]!;
              return { eid: e.eid, ms: later && !isOwn(e.eid, e.ms) ? e.ms + later * 1000 : e.ms };
            });
            await store.write(sent.map((e) => at(new Date(e.ms).toISOString(), { eid: e.eid })));
            const seen = new Set<string>(); // the first of an eid in a batch wins
            for (const e of sent) {
              if (seen.has(e.eid)) continue;
              seen.add(e.eid);
              if (!isStored(e.eid, e.ms)) stored.push(e);
            }
          }
          const rows = (await store.queryEvents({ limit: 10_000 })).map((e) => `${e.eid}@${e.received}`).sort();
          expect(rows).toEqual(stored.map((e) => `${e.eid}@${new Date(e.ms).toISOString()}`).sort());
        });
      }),
      { numRuns: 40 },
    );
  }, 120_000);

  it('copies the table a slice of receive times at a time, and goes on after a crash mid-copy without doubling a row', async () => {
    await withRawConnection(':memory:', async (conn) => {
      await migrate(conn, 5);
      // Ten rows inserted out of order; two share a receive time (a slice ends after all of a time's rows).
      const seconds = [7, 2, 9, 0, 5, 5, 1, 8, 3, 4];
      for (const [i, sec] of seconds.entries()) {
        await conn.run(`INSERT INTO events (eid, received, origin) VALUES ('e${i}', TIMESTAMP '2024-01-01 00:00:00' + INTERVAL (${sec}) SECOND, 'track')`);
      }
      const seen: number[] = [];
      const crash = new Error('killed');
      await expect(
        copyEventsByReceived(conn, ({ copied }) => {
          seen.push(copied);
          if (copied >= 6) throw crash; // after the second slice committed
        }, 3),
      ).rejects.toBe(crash);
      expect(seen).toEqual([0, 3, 7]);
      const resumed: number[] = [];
      await copyEventsByReceived(conn, ({ copied, of }) => resumed.push(copied, of), 3);
      // Slices: times 0-2, then 3-5 (four rows: 3, 4 and both 5s), then 7-9 after the crash.
      expect(resumed).toEqual([7, 10, 10, 10]);
      const rows = (await conn.runAndReadAll('SELECT eid FROM events_v6 ORDER BY received, eid')).getRows().map(([e]) => String(e));
      expect(rows).toEqual(['e3', 'e6', 'e1', 'e8', 'e9', 'e4', 'e5', 'e0', 'e7', 'e2']);
      expect(await migrate(conn)).toEqual([6, 7, 8]);
      expect(Number((await conn.runAndReadAll('SELECT count(*) FROM events')).getRows()[0]?.[0])).toBe(10);
    });
  });

  it('copies a record table a slice of times at a time, every row of one time in the same slice, and goes on after a crash', async () => {
    await withRawConnection(':memory:', async (conn) => {
      await migrate(conn, 7);
      // Random-looking ids out of time order; three logs share a time.
      const seconds = [4, 0, 2, 2, 2, 1, 3];
      for (const [i, sec] of seconds.entries()) {
        await conn.run(`INSERT INTO logs VALUES ('id-${(7 - i) * 13}', TIMESTAMP '2024-01-01 00:00:00' + INTERVAL (${sec}) SECOND, 's', 'info', 'm${i}', NULL)`);
      }
      const crash = new Error('killed');
      const seen: number[] = [];
      await expect(
        copyRecordsByTime(conn, ({ copied }) => {
          seen.push(copied);
          if (copied >= 2) throw crash; // after the first slice committed
        }, 'logs', 2),
      ).rejects.toBe(crash);
      // Slices of 2: times 0-1, then 2 (all three of its rows), then 3-4.
      expect(seen).toEqual([0, 2]);
      const resumed: number[] = [];
      await copyRecordsByTime(conn, ({ copied }) => resumed.push(copied), 'logs', 2);
      expect(resumed).toEqual([2, 5, 7]);
      const rows = (await conn.runAndReadAll('SELECT msg FROM logs_v8 ORDER BY "time", id')).getRows().map(([m]) => String(m));
      expect(rows).toEqual(['m1', 'm5', 'm4', 'm3', 'm2', 'm6', 'm0']);
    });
  });

  it('rebuilds the service-record tables keyed by (time, id) (schema 7), keeping their rows and storing a record once', async () => {
    const file = tempFile();
    const [log, count, update] = contractRecords() as [ServiceRecord, ServiceRecord, ServiceRecord];
    try {
      const old = createDuckDbStore({ config: { path: file.path }, telemetry: telemetry() });
      await old.start();
      await old.writeRecords([log, count, update]);
      const before = await Promise.all((['log', 'count', 'update'] as const).map((k) => old.readRecords(k)));
      await old.close();
      // The file as schema 7 made it: each table keyed by id alone.
      await withRawConnection(file.path, async (conn) => {
        await conn.run('DELETE FROM schema_version WHERE version > 7');
        for (const table of ['logs', 'counters', 'updates']) {
          await conn.run(`CREATE TABLE ${table}_old AS SELECT * FROM ${table}`);
          await conn.run(`DROP TABLE ${table}`);
          await conn.run(`CREATE TABLE ${table} AS SELECT * FROM ${table}_old LIMIT 0`);
          await conn.run(`ALTER TABLE ${table} ADD PRIMARY KEY (id)`);
          await conn.run(`INSERT INTO ${table} SELECT * FROM ${table}_old`);
          await conn.run(`DROP TABLE ${table}_old`);
        }
      });
      const store = createDuckDbStore({ config: { path: file.path }, telemetry: telemetry() });
      await store.start();
      try {
        expect(await Promise.all((['log', 'count', 'update'] as const).map((k) => store.readRecords(k)))).toEqual(before);
        await store.writeRecords([log, count, update]); // a redelivery: same id, same time
        expect([await store.countRecords('log'), await store.countRecords('count'), await store.countRecords('update')]).toEqual([1, 1, 1]);
        // The same message id at another time is another record, as in the Cassandra sink.
        await store.writeRecords([{ ...log, time: new Date(Date.parse(log.time!) + 1000).toISOString() }]);
        expect(await store.countRecords('log')).toBe(2);
      } finally {
        await store.close();
      }
      await withRawConnection(file.path, async (conn) => {
        const keys = (await conn.runAndReadAll("SELECT table_name AS t, constraint_column_names AS columns FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY' AND table_name IN ('logs', 'counters', 'updates') ORDER BY t")).getRowObjectsJS();
        expect(keys.map((k) => [k.t, k.columns])).toEqual([['counters', ['time', 'id']], ['logs', ['time', 'id']], ['updates', ['time', 'id']]]);
      });
    } finally {
      file.remove();
    }
  });

  it('rebuilds an events table keyed by eid (schema 5) with its rows, and says so before it starts', async () => {
    const file = tempFile();
    try {
      await withRawConnection(file.path, async (conn) => {
        expect(await migrate(conn, 5)).toEqual([1, 2, 3, 4, 5]);
        await conn.run(`INSERT INTO events (eid, received, origin, vid) VALUES ('old-2', '2024-01-01 00:00:02', 'track', 'v'), ('old-1', '2024-01-01 00:00:01', 'track', 'v')`);
      });
      const lines: string[] = [];
      const t = new Telemetry(createLogger('info', { write: (line: string) => void lines.push(line) }), { defaultMetrics: false });
      const store = createDuckDbStore({ config: { path: file.path }, telemetry: t });
      await store.start();
      expect((await store.queryEvents()).map((e) => e.eid).sort()).toEqual(['old-1', 'old-2']);
      await store.write([at('2024-01-01T00:00:01.000Z', { eid: 'old-1' })]);
      expect(await store.countEvents()).toBe(2);
      await store.close();
      expect(lines.find((l) => l.includes('"sinkSchemaMigrating"') && l.includes('"version":6'))).toBeDefined();
      expect(lines.find((l) => l.includes('"sinkSchemaMigrating"') && l.includes('"version":7'))).toBeDefined();
      await withRawConnection(file.path, async (conn) => {
        const constraints = (await conn.runAndReadAll("SELECT constraint_type AS type, constraint_column_names AS columns FROM duckdb_constraints() WHERE table_name = 'events'")).getRowObjectsJS();
        expect(constraints.filter((c) => c.type === 'PRIMARY KEY')).toEqual([]);
        expect(constraints.filter((c) => c.type === 'NOT NULL').flatMap((c) => c.columns as string[]).sort()).toEqual(['eid', 'origin', 'received']);
      });
    } finally {
      file.remove();
    }
  });
});

/** A DuckDB setting of a file opened with these options, as text. */
async function settingOf(path: string, options: Parameters<typeof openDatabase>[1], name: string): Promise<string> {
  const db = await openDatabase(path, options);
  try {
    const read = await db.exclusive((c) => c.runAndReadAll(`SELECT current_setting('${name}') AS v`));
    return String(read.getRowObjects()[0]?.v);
  } finally {
    await db.release();
  }
}

async function withRawConnection(path: string, fn: (conn: Awaited<ReturnType<DuckDBInstance['connect']>>) => Promise<void>) {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const instance = await DuckDBInstance.create(path);
  const conn = await instance.connect();
  try {
    await fn(conn);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}
