import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import type { ConsumerLag } from '../bus/bus.js';
import { consumerLagMetrics } from './lag-metrics.js';

const value = (text: string, name: string) => Number(text.split('\n').find((l) => l.startsWith(`${name} `))?.slice(name.length + 1));

describe('consumer lag metrics', () => {
  it('reads the lag once per scrape for both gauges', async () => {
    const registry = new Registry();
    let reads = 0;
    consumerLagMetrics(registry, async () => {
      reads++;
      return { pending: 7, ackPending: 3 };
    });
    const text = await registry.metrics();
    expect(value(text, 'gatehouse_consumer_pending')).toBe(7);
    expect(value(text, 'gatehouse_consumer_ack_pending')).toBe(3);
    expect(reads).toBe(1);
  });

  it('keeps the last value while the bus cannot answer, and never fails the scrape', async () => {
    const registry = new Registry();
    let failing = false;
    // Throws synchronously when failing, like a bus that is not started.
    consumerLagMetrics(registry, (): Promise<ConsumerLag> => {
      if (failing) throw new Error('the NATS bus is not started');
      return Promise.resolve({ pending: 5, ackPending: 1 });
    });
    await registry.metrics();
    failing = true;
    const text = await registry.metrics();
    expect(value(text, 'gatehouse_consumer_pending')).toBe(5);
    expect(value(text, 'gatehouse_consumer_ack_pending')).toBe(1);
  });

  it('answers a scrape while the bus does not, with the last lag', async () => {
    const registry = new Registry();
    let hang = false;
    // Across a partition a JetStream API call settles only at its timeout.
    consumerLagMetrics(registry, () => (hang ? new Promise<ConsumerLag>(() => undefined) : Promise.resolve({ pending: 9, ackPending: 2 })), 10);
    await registry.metrics();
    hang = true;
    const text = await registry.metrics();
    expect(value(text, 'gatehouse_consumer_pending')).toBe(9);
    expect(value(text, 'gatehouse_consumer_ack_pending')).toBe(2);
  });
});
