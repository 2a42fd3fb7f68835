import { Gauge, type Registry } from 'prom-client';
import type { ConsumerLag } from '../bus/bus.js';

/**
 * `gatehouse_consumer_pending` and `gatehouse_consumer_ack_pending`, read from the bus at scrape time. One scrape
 * collects both gauges at once, so they share one read (one JetStream API call). While the bus cannot answer
 * (an outage, an election) the gauges keep their last value; `gatehouse_nats_connected` tells that story.
 */
export function consumerLagMetrics(registry: Registry, read: () => Promise<ConsumerLag>): void {
  let reading: Promise<ConsumerLag | undefined> | undefined;
  const current = () =>
    (reading ??= Promise.resolve()
      .then(read)
      .catch(() => undefined)
      .finally(() => {
        reading = undefined;
      }));
  const gauge = (name: string, help: string, pick: (lag: ConsumerLag) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        const lag = await current();
        if (lag) this.set(pick(lag));
      },
    });
  gauge('gatehouse_consumer_pending', 'Messages in the stream not yet delivered to the consumer (on NATS a message is a pack of one or more events).', (l) => l.pending);
  gauge(
    'gatehouse_consumer_ack_pending',
    'Messages delivered to the consumer and not yet acked (being written, or waiting for a redelivery).',
    (l) => l.ackPending,
  );
}
