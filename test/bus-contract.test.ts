import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { BusUnavailableError, type Bus, type BusMessage, type Delivery, type SubscribeOptions, type Subscription } from '../src/bus/bus.js';
import { createMemoryBus } from '../src/bus/memory.js';
import { createNatsBus } from '../src/bus/nats/index.js';
import { Telemetry } from '../src/telemetry/telemetry.js';
import { createLogger } from '../src/telemetry/logger.js';
import { natsTestConfig, startNatsServer, type NatsHandle } from './helpers/nats.js';
import { waitFor } from './helpers/wait.js';

/** One bus under test, with a way to read back what it dead-lettered. */
interface Fixture {
  readonly bus: Bus;
  readonly subject: string;
  deadLetters(): Promise<{ id: string; reason: string; deliveries: number; data: string }[]>;
}

const text = new TextEncoder();
const decode = (d: Uint8Array) => new TextDecoder().decode(d);
const telemetry = () => new Telemetry(createLogger('silent'), { defaultMetrics: false });
const messages = (prefix: string, n: number): BusMessage[] =>
  Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}`, data: text.encode(`payload ${prefix}-${i}`) }));
const options = (durable: string, overrides: Partial<SubscribeOptions> = {}): SubscribeOptions => ({
  durable,
  batchSize: 10,
  batchWaitMs: 20,
  maxDeliver: 5,
  ...overrides,
});

/** The behaviour every Bus implementation owes the gateway and the consumer. */
function busContract(name: string, make: () => Promise<Fixture>): void {
  describe(`Bus contract: ${name}`, () => {
    let fx: Fixture;
    const subs: Subscription[] = [];
    const subscribe = (o: SubscribeOptions, handler: (batch: Delivery[]) => Promise<void>) => {
      const sub = fx.bus.subscribe(o, handler);
      subs.push(sub);
      return sub;
    };

    beforeEach(async () => {
      fx = await make();
      await fx.bus.start();
    });
    afterEach(async () => {
      await Promise.all(subs.splice(0).map((s) => s.close()));
      await fx.bus.close();
    });

    it('delivers what was published to a subscriber that acks it', async () => {
      const got: Delivery[] = [];
      // The memory bus resolves publish only once a subscriber acked, so it is awaited after subscribing.
      const published = fx.bus.publish(messages('a', 3));
      subscribe(options('store'), async (batch) => {
        for (const d of batch) {
          got.push(d);
          await d.ack();
        }
      });
      await published;
      await waitFor('3 deliveries', () => got.length === 3);
      expect(got.map((d) => d.id).sort()).toEqual(['a-0', 'a-1', 'a-2']);
      expect(got.map((d) => decode(d.data)).sort()).toEqual(['payload a-0', 'payload a-1', 'payload a-2']);
      expect(got.every((d) => d.deliveries === 1 && d.subject === fx.subject)).toBe(true);
    });

    it('redelivers a nak-ed message with deliveries + 1', async () => {
      const seen: number[] = [];
      subscribe(options('store'), async (batch) => {
        for (const d of batch) {
          seen.push(d.deliveries);
          if (d.deliveries === 1) d.nak(10);
          else await d.ack();
        }
      });
      await fx.bus.publish(messages('n', 1));
      await waitFor('the redelivery', () => seen.length === 2);
      expect(seen).toEqual([1, 2]);
    });

    it('dead-letters a message with its reason and settles it', async () => {
      const published = fx.bus.publish(messages('d', 1));
      subscribe(options('store'), async (batch) => {
        for (const d of batch) await d.deadLetter('cannot decode: bad json\nline two');
      });
      await published;
      const dead = await waitFor('the dead letter', async () => {
        const list = await fx.deadLetters();
        return list.length === 1 ? list : undefined;
      });
      expect(dead[0]).toMatchObject({ id: 'd-0', deliveries: 1, data: 'payload d-0' });
      expect(dead[0]?.reason).toContain('cannot decode: bad json');
    });

    it('delivers a republished message or batch once', async () => {
      const ids: string[] = [];
      subscribe(options('store'), async (batch) => {
        for (const d of batch) {
          ids.push(d.id);
          await d.ack();
        }
      });
      // What the spool's forwarder does after a failed or unconfirmed publish: the same batch again.
      const [x] = messages('x', 1) as [BusMessage];
      const pair = messages('pair', 2);
      await fx.bus.publish([x]);
      await fx.bus.publish([x]);
      await fx.bus.publish(pair);
      await fx.bus.publish(pair);
      await fx.bus.publish(messages('sentinel', 1));
      // Delivery is in publish order, so once the sentinel arrived any duplicate would have too.
      await waitFor('the sentinel', () => ids.includes('sentinel-0'));
      expect(ids.filter((id) => id !== 'sentinel-0').sort()).toEqual(['pair-0', 'pair-1', 'x-0']);
    });

    it('shares one durable between two subscribers without duplicates', async () => {
      const byA: string[] = [];
      const byB: string[] = [];
      const handler = (mine: string[]) => async (batch: Delivery[]) => {
        mine.push(...batch.map((d) => d.id));
        // Hold the first batches until both subscribers have work, so sharing is observable.
        await waitFor('both subscribers to receive', () => byA.length > 0 && byB.length > 0, { timeoutMs: 30_000 });
        await Promise.all(batch.map((d) => d.ack()));
      };
      const small = options('shared', { batchSize: 5 });
      subscribe(small, handler(byA));
      subscribe(small, handler(byB));
      // Eight runs of five: the NATS bus sends each run as one message (a pack), the unit two subscribers share.
      await fx.bus.publish(messages('s', 40).map((m, i) => ({ ...m, packEnd: i % 5 === 4 })));
      await waitFor('40 deliveries', () => byA.length + byB.length >= 40);
      const all = [...byA, ...byB];
      expect(new Set(all).size).toBe(40);
      expect(all).toHaveLength(40);
      expect(byA.length).toBeGreaterThan(0);
      expect(byB.length).toBeGreaterThan(0);
    });

    it('sends events that waited out batchWait while the previous batch was handled without another window', async () => {
      // The clock is moved, not waited on: with the old behaviour the second batch would wait ten real minutes.
      vi.useFakeTimers({ toFake: ['Date', 'performance'], shouldAdvanceTime: true });
      try {
        const batches: string[][] = [];
        let release!: () => void;
        const gate = new Promise<void>((resolve) => (release = resolve));
        const published = [fx.bus.publish(messages('w', 2))];
        subscribe(options('store', { batchSize: 2, batchWaitMs: 600_000 }), async (batch) => {
          batches.push(batch.map((d) => d.id));
          if (batches.length === 1) await gate;
          await Promise.all(batch.map((d) => d.ack()));
        });
        await waitFor('the first (full) batch', () => batches.length === 1);
        published.push(fx.bus.publish(messages('late', 1)));
        vi.advanceTimersByTime(11 * 60_000);
        release();
        await waitFor('the late event in its own batch', () => batches.length === 2, { timeoutMs: 30_000 });
        expect(batches).toEqual([['w-0', 'w-1'], ['late-0']]);
        await Promise.all(published);
      } finally {
        vi.useRealTimers();
      }
    });

    it('closes a subscription only after the batch in hand is handled', async () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let entered = false;
      let acked = false;
      const sub = subscribe(options('store'), async (batch) => {
        entered = true;
        await gate;
        await Promise.all(batch.map((d) => d.ack()));
        acked = true;
      });
      const published = fx.bus.publish(messages('c', 1));
      await waitFor('the handler to start', () => entered);
      let closed = false;
      const closing = sub.close().then(() => (closed = true));
      await new Promise((resolve) => setImmediate(resolve));
      expect(closed).toBe(false);
      release();
      await closing;
      expect(acked).toBe(true);
      await published;
    });

    it('rejects publish after close, and close can be called twice', async () => {
      await fx.bus.close();
      await fx.bus.close();
      await expect(fx.bus.publish(messages('z', 1))).rejects.toBeInstanceOf(BusUnavailableError);
      expect((await fx.bus.healthcheck()).status).toBe('down');
    });
  });
}

busContract('memory', async () => {
  const bus = createMemoryBus({ telemetry: telemetry(), subject: 'gatehouse.events' });
  return {
    bus,
    subject: 'gatehouse.events',
    deadLetters: async () =>
      bus.deadLetters().map((d) => ({ id: d.id, reason: d.reason, deliveries: d.deliveries, data: decode(d.data) })),
  };
});

describe('over NATS JetStream', () => {
  let nats: NatsHandle;
  let n = 0;
  beforeAll(async () => {
    nats = await startNatsServer();
  });
  afterAll(async () => {
    await nats?.stop();
  });

  busContract('nats', async () => {
    n += 1;
    const config = natsTestConfig({
      servers: nats.urls,
      stream: `CONTRACT_${n}`,
      subject: `contract${n}.events`,
      deadLetterSubject: `contract${n}.dead`,
    });
    return {
      bus: createNatsBus({ config, telemetry: telemetry() }),
      subject: config.subject,
      deadLetters: async () => {
        const nc = await connect({ servers: [...nats.urls] });
        try {
          const jsm = await jetstreamManager(nc);
          const m = await jsm.streams.getMessage(config.stream, { last_by_subj: config.deadLetterSubject });
          if (!m) return [];
          return [
            {
              id: m.header.get('Nats-Msg-Id').replace(/^dl-/, ''),
              reason: m.header.get('Gatehouse-Reason'),
              deliveries: Number(m.header.get('Gatehouse-Deliveries')),
              data: decode(m.data),
            },
          ];
        } catch {
          return [];
        } finally {
          await nc.close();
        }
      },
    };
  });
});
