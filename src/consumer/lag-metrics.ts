import { Gauge, type Registry } from 'prom-client';
import type { ConsumerLag } from '../bus/bus.js';
import { ScrapeReading, SCRAPE_WAIT_MS } from '../telemetry/scrape-reading.js';

/**
 * `gatehouse_consumer_pending` and `gatehouse_consumer_ack_pending`, read from the bus at scrape time. One scrape
 * collects both gauges at once, so they share one read (one JetStream API call). While the bus cannot answer
 * (an outage, an election) the gauges keep their last value, and a scrape waits for the read at most `waitMs`
 * (the rest of the endpoint answers at once); `gatehouse_nats_connected` tells that story.
 */
export function consumerLagMetrics(registry: Registry, read: () => Promise<ConsumerLag>, waitMs = SCRAPE_WAIT_MS): void {
  const lag = new ScrapeReading(read, waitMs);
  let scrape: Promise<ConsumerLag | undefined> | undefined;
  // Both gauges' collect() run in the same scrape: the first starts the wait, the second joins it.
  const current = () =>
    (scrape ??= lag.current().finally(() => {
      scrape = undefined;
    }));
  const gauge = (name: string, help: string, pick: (lag: ConsumerLag) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        const value = await current();
        if (value) this.set(pick(value));
      },
    });
  gauge('gatehouse_consumer_pending', 'Messages in the stream not yet delivered to the consumer (on NATS a message is a pack of one or more events).', (l) => l.pending);
  gauge(
    'gatehouse_consumer_ack_pending',
    'Messages delivered to the consumer and not yet acked (being written, or waiting for a redelivery).',
    (l) => l.ackPending,
  );
}
