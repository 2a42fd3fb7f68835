import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BusUnavailableError, type BusMessage, type Delivery, type SubscribeOptions } from '../src/bus/bus.js';
import { createMemoryBus, type MemoryBus, type MemoryBusOptions } from '../src/bus/memory.js';
import { Telemetry } from '../src/telemetry/telemetry.js';
import { createLogger } from '../src/telemetry/logger.js';
import { waitFor } from './helpers/wait.js';

const message = (id: string): BusMessage => ({ id, data: new TextEncoder().encode(id) });
const options = (durable = 'store', overrides: Partial<SubscribeOptions> = {}): SubscribeOptions => ({
  durable,
  batchSize: 10,
  batchWaitMs: 10,
  maxDeliver: 5,
  ...overrides,
});
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('memory bus', () => {
  const buses: MemoryBus[] = [];
  let telemetry: Telemetry;
  const make = (extra: Partial<MemoryBusOptions> = {}) => {
    telemetry = new Telemetry(createLogger('silent'), { defaultMetrics: false });
    const bus = createMemoryBus({ telemetry, ...extra });
    buses.push(bus);
    return bus;
  };
  const ackAll = (seen: Delivery[] = []) => async (batch: Delivery[]) => {
    seen.push(...batch);
    await Promise.all(batch.map((d) => d.ack()));
  };
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((b) => b.close()));
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('holds publish until a subscriber acks, even when it subscribes later', async () => {
    const bus = make();
    let resolved = false;
    const published = bus.publish([message('early')]).then(() => (resolved = true));
    await tick();
    expect(resolved).toBe(false);
    bus.subscribe(options(), ackAll());
    await published;
    expect(resolved).toBe(true);
  });

  it('rejects pending publishes with BusUnavailableError on close', async () => {
    const bus = make();
    const published = bus.publish([message('never-consumed')]);
    await bus.close();
    await expect(published).rejects.toBeInstanceOf(BusUnavailableError);
    expect(() => bus.subscribe(options(), ackAll())).toThrow(BusUnavailableError);
  });

  it('redelivers what a failing handler left unsettled after the ack wait', async () => {
    const bus = make({ ackWaitMs: 20 });
    const seen: number[] = [];
    bus.subscribe(options(), async (batch) => {
      seen.push(...batch.map((d) => d.deliveries));
      if (batch[0]?.deliveries === 1) throw new Error('sink down');
      await Promise.all(batch.map((d) => d.ack()));
    });
    await bus.publish([message('retry')]);
    expect(seen).toEqual([1, 2]);
    expect(await telemetry.metrics()).toMatch(/gatehouse_bus_handler_failed_total\{bus="memory"\} 1/);
  });

  it('keeps dead letters for inspection and counts them', async () => {
    const bus = make();
    bus.subscribe(options(), async (batch) => {
      for (const d of batch) await d.deadLetter('poison');
    });
    await bus.publish([message('p1'), message('p2')]);
    expect(bus.deadLetters().map((d) => [d.id, d.reason, d.deliveries, d.subject])).toEqual([
      ['p1', 'poison', 1, 'gatehouse.events'],
      ['p2', 'poison', 1, 'gatehouse.events'],
    ]);
    expect(await telemetry.metrics()).toMatch(/gatehouse_bus_message_dead_lettered_total\{bus="memory"\} 2/);
  });

  it('with a dead-letter file, resolves the publish only once the dead letter is on disk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-deadletter-'));
    dirs.push(dir);
    const path = join(dir, 'sub', 'dead-letter.jsonl');
    const bus = make({ deadLetterPath: path });
    bus.subscribe(options(), async (batch) => {
      for (const d of batch) await (d.id === 'good' ? d.ack() : d.deadLetter(`refused ${d.id}`));
    });
    await bus.publish([message('p1'), message('good'), message('p2')]);
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l.id, l.reason, l.deliveries, l.subject, l.data])).toEqual([
      ['p1', 'refused p1', 1, 'gatehouse.events', 'p1'],
      ['p2', 'refused p2', 1, 'gatehouse.events', 'p2'],
    ]);
    expect(Number.isNaN(Date.parse(String(lines[0]?.at)))).toBe(false);
  });

  it('keeps a dead letter it cannot write in flight, and delivers it again after the ack wait', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-deadletter-'));
    dirs.push(dir);
    const blocker = join(dir, 'not-a-dir');
    writeFileSync(blocker, '');
    // The file's directory would have to be made inside a regular file: every append fails.
    const bus = make({ deadLetterPath: join(blocker, 'dead-letter.jsonl'), ackWaitMs: 50 });
    const deliveries: number[] = [];
    const failures: string[] = [];
    bus.subscribe(options(), async (batch) => {
      for (const d of batch) {
        deliveries.push(d.deliveries);
        await d.deadLetter('poison').catch((err: NodeJS.ErrnoException) => failures.push(String(err.code)));
      }
    });
    let settled = false;
    const published = bus.publish([message('stuck')]).then(
      () => (settled = true),
      () => (settled = true),
    );
    await waitFor('a second delivery after the ack wait', () => deliveries.length >= 2);
    expect(settled).toBe(false);
    expect(failures[0]).toBe('EEXIST');
    expect(bus.deadLetters()).toEqual([]);
    await bus.close();
    await published;
  });

  it('forgets the oldest acked ids beyond the dedupe bound', async () => {
    const bus = make({ dedupeMaxIds: 2 });
    const seen: Delivery[] = [];
    bus.subscribe(options(), ackAll(seen));
    for (const id of ['a', 'b', 'c']) await bus.publish([message(id)]);
    await bus.publish([message('c')]); // remembered: dropped
    await bus.publish([message('a')]); // forgotten: delivered again
    expect(seen.map((d) => d.id)).toEqual(['a', 'b', 'c', 'a']);
  });

  it('gives every durable its own copy and resolves publish once all acked', async () => {
    const bus = make();
    const one: Delivery[] = [];
    const two: Delivery[] = [];
    bus.subscribe(options('one'), ackAll(one));
    bus.subscribe(options('two'), ackAll(two));
    await bus.publish([message('m')]);
    expect([one.length, two.length]).toEqual([1, 1]);
  });

  it('delivers only subjects matching the subscription filter', async () => {
    const bus = make({ subject: 'gatehouse.events' });
    const other: Delivery[] = [];
    bus.subscribe(options('logs', { subject: 'tic.log.>' }), ackAll(other));
    const published = bus.publish([message('e')]);
    const events: Delivery[] = [];
    bus.subscribe(options('events', { subject: 'gatehouse.*' }), ackAll(events));
    await published;
    await waitFor('the event', () => events.length === 1);
    expect(other).toHaveLength(0);
  });

  it('reports health until closed', async () => {
    const bus = make();
    expect((await bus.healthcheck()).status).toBe('up');
    await bus.close();
    expect(await bus.healthcheck()).toEqual({ status: 'down', reason: 'the memory bus is closed' });
  });
});
