import type { Config } from '../settings/schema.js';
import { createLogger } from '../telemetry/logger.js';
import { Telemetry } from '../telemetry/telemetry.js';
import { createBus } from '../bus/index.js';
import { startBusInBackground, type BusStarter } from '../bus/bus-starter.js';
import { buildStores } from '../gateway/stores.js';
import { createConsumer } from '../consumer/consumer.js';
import { onShutdownSignals } from '../lifecycle/signals.js';
import { createDestinations } from '../destinations/index.js';
import { consumerMetricsServer } from '../consumer/metrics-server.js';

/** `gatehouse consume`: JetStream → sinks until SIGTERM, acking only after every sink has the batch. */
export async function consume(config: Readonly<Config>): Promise<number> {
  const logger = createLogger(config.log.level);
  if (config.bus.kind !== 'nats') {
    logger.error('`consume` reads from NATS: set bus.kind to "nats" (with the memory bus, `serve` runs the consumer itself)');
    return 2;
  }
  const telemetry = new Telemetry(logger);
  const bus = createBus({ config: config.bus, telemetry });
  const { sinks } = await buildStores(config, telemetry);
  const consumer = createConsumer({ config: config.consumer, bus, sinks, telemetry, subject: config.bus.nats.subject, maxMessageBytes: config.spool.maxEventSize });
  // Each destination is its own durable JetStream consumer, so none holds back the store or the others.
  const destinations = createDestinations({ config, bus, telemetry });
  const metrics = config.consumer.metrics.enabled
    ? await consumerMetricsServer({ logger, telemetry, checks: { bus: () => bus.healthcheck(), store: () => consumer.healthcheck() } })
    : undefined;
  let busStarter: BusStarter | undefined;
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= closeAll());
  const closeAll = async () => {
    busStarter?.stop();
    await metrics?.close();
    await consumer.close();
    await destinations.close();
    await bus.close();
    for (const s of sinks) await s.close();
  };
  onShutdownSignals(logger, close);
  let metricsAt: string | undefined;
  try {
    for (const s of sinks) await s.start();
    // Up before the bus, so /readyz answers (503, the bus check down) while the consumer waits for NATS.
    metricsAt = await metrics?.listen({ host: config.consumer.metrics.host, port: config.consumer.metrics.port });
    if (metricsAt) logger.info({ event: 'consumerMetricsListening', metrics: metricsAt }, 'serving metrics, liveness and readiness');
    // A consumer started before NATS, or while its cluster elects a leader, waits for it (logging each try).
    busStarter = await startBusInBackground(bus, logger);
    await busStarter.started;
    await consumer.start();
    await destinations.start();
  } catch (err) {
    if (closing) return new Promise<number>(() => undefined); // a signal during the start: its handler exits
    logger.fatal({ err }, 'could not start the consumer');
    await close().catch(() => undefined);
    return 1;
  }
  logger.info({ event: 'consumerStarted', durable: config.consumer.durable, sinks: sinks.map((s) => s.name), metrics: metricsAt }, 'consuming');
  return new Promise<number>(() => undefined);
}
