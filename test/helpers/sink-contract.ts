import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TrackEvent } from '../../src/track/event.js';
import { SinkWriteError, type ServiceRecord, type RecordSink } from '../../src/sinks/sink.js';

/**
 * The behaviour every Sink owes the consumer, as one vitest suite run against each implementation
 * (test/sinks-duckdb.test.ts, test/cassandra.test.ts). Only imported by tests.
 */
export interface ContractSubject {
  /** A started sink. */
  sink: RecordSink;
  /** Every stored row for these eids, duplicates included (so a doubled row shows). */
  readEvents(eids: readonly string[]): Promise<TrackEvent[]>;
  /** How many rows hold these records (a doubled record counts twice). */
  countRecords(records: readonly ServiceRecord[]): Promise<number>;
  /** Releases what the factory made besides the sink (files, a reading client). */
  cleanup?(): Promise<void>;
}

/** Event ids are unique per run: a shared store (a Cassandra keyspace) keeps rows from earlier runs. */
export function contractEvent(fields: Partial<TrackEvent> = {}): TrackEvent {
  return {
    eid: randomUUID(),
    received: new Date(Math.floor(Date.now() / 1000) * 1000).toISOString(),
    origin: 'track',
    host: 'contract.example',
    vid: randomUUID(),
    sid: 's1',
    ename: 'load',
    etyp: 'page',
    url: 'https://contract.example/Pricing?Plan=Pro',
    score: 6.5,
    w: 1280,
    h: 720,
    first: true,
    bot: false,
    params: { plan: 'Pro', 'a b': 'ü ✓' },
    ...fields,
  };
}

export function contractRecords(): ServiceRecord[] {
  const time = new Date().toISOString();
  return [
    { kind: 'log', id: randomUUID(), time, subject: 'svc.logs.api', level: 'warn', msg: 'slow', fields: { ms: 1200 } },
    { kind: 'count', id: randomUUID(), time, subject: 'svc.counts.api', name: 'signups', by: 2, key: 'eu' },
    { kind: 'update', id: randomUUID(), time, subject: 'svc.updates.api', table: 'plans', key: 'pro', values: { price: 9 } },
  ];
}

const byEid = (a: TrackEvent, b: TrackEvent) => a.eid.localeCompare(b.eid);

export function sinkContract(name: string, factory: () => Promise<ContractSubject>): void {
  describe(`Sink contract: ${name}`, () => {
    let subject: ContractSubject;

    beforeEach(async () => {
      subject = await factory();
    });
    afterEach(async () => {
      await subject.sink.close();
      await subject.cleanup?.();
    });

    it('stores a batch and reads it back field for field', async () => {
      const batch = [
        contractEvent(),
        contractEvent({ ename: 'click', lat: 48.85, lon: 2.35, cflags: 3, gpc: true, country: 'FR', created: 'not a date' }),
        contractEvent({ origin: 'server', uid: 'u-1', first: false, params: undefined }),
      ];
      await subject.sink.write(batch);
      const stored = await subject.readEvents(batch.map((e) => e.eid));
      const expected = batch.map((e) => JSON.parse(JSON.stringify(e)) as TrackEvent);
      expect(stored.sort(byEid)).toEqual(expected.sort(byEid));
    });

    it('does not double rows when the same batch is written again', async () => {
      const batch = [contractEvent(), contractEvent(), contractEvent()];
      await subject.sink.write(batch);
      await subject.sink.write(batch);
      const overlap = [batch[1]!, contractEvent()];
      await subject.sink.write(overlap);
      const eids = [...batch, ...overlap].map((e) => e.eid);
      const stored = await subject.readEvents(eids);
      expect(stored.map((e) => e.eid).sort()).toEqual([...new Set(eids)].sort());
    });

    it('stores an event repeated inside one batch once', async () => {
      const event = contractEvent();
      await subject.sink.write([event, { ...event }]);
      expect(await subject.readEvents([event.eid])).toHaveLength(1);
    });

    it('accepts empty batches', async () => {
      await expect(subject.sink.write([])).resolves.toBeUndefined();
      await expect(subject.sink.writeRecords([])).resolves.toBeUndefined();
    });

    it('stores service records once by id', async () => {
      const records = contractRecords();
      await subject.sink.writeRecords(records);
      await subject.sink.writeRecords(records);
      await subject.sink.writeRecords([records[0]!, records[0]!]);
      expect(await subject.countRecords(records)).toBe(records.length);
    });

    it('reports itself up', async () => {
      expect((await subject.sink.healthcheck()).status).toBe('up');
    });

    it('closes idempotently and refuses writes afterwards with SinkWriteError', async () => {
      await subject.sink.close();
      await expect(subject.sink.close()).resolves.toBeUndefined();
      expect((await subject.sink.healthcheck()).status).toBe('down');
      await expect(subject.sink.write([contractEvent()])).rejects.toBeInstanceOf(SinkWriteError);
      await expect(subject.sink.writeRecords(contractRecords())).rejects.toBeInstanceOf(SinkWriteError);
    });
  });
}
