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
  // A scrape collects both gauges at once (prom-client starts every collect() before awaiting any): the
  // second joins the read the first started.
  const lag = new ScrapeReading(read, waitMs);
  const gauge = (name: string, help: string, pick: (lag: ConsumerLag) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        const value = await lag.current();
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
