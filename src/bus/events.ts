import { Gauge, Histogram } from 'prom-client';
import type { Telemetry } from '../telemetry/telemetry.js';

/**
 * Named internal events and metrics of the buses. Built once per Telemetry: a registry refuses a metric name
 * twice, and a process may hold more than one bus (a gateway and a consumer in one test, say). The NATS ones are
 * registered only by a NATS bus, so an embedded gateway exposes no `gatehouse_nats_*` series.
 */
function build(t: Telemetry) {
  return {
    /** A publish call was not fully acknowledged; the spool keeps the messages and retries. */
    publishFailed: t.event('busPublishFailed', 'Messages the bus did not acknowledge.', 'warn', ['bus']),
    /** A consumer gave up on a message and moved it to the dead-letter subject. */
    messageDeadLettered: t.event('busMessageDeadLettered', 'Messages moved to the dead-letter subject.', 'warn', ['bus']),
    /** A batch handler threw; its unsettled messages are redelivered after the ack wait. */
    handlerFailed: t.event('busHandlerFailed', 'Batch handlers that threw.', 'warn', ['bus']),
    /** The pull loop lost its consumer (outage, leader election) and retries with backoff. */
    consumerFailed: t.event('busConsumerFailed', 'Pull loop failures (retried).', 'warn', ['bus', 'durable']),
    publishSeconds: new Histogram({
      name: 'gatehouse_bus_publish_duration_seconds',
      help: 'Time from publish to acknowledgement of a whole publish call.',
      labelNames: ['bus'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [t.registry],
    }),
  };
}

function buildNats(t: Telemetry) {
  return {
    natsConnected: t.event('natsConnected', 'Connections established to NATS.', 'info', ['server']),
    natsDisconnected: t.event('natsDisconnected', 'Disconnections from a NATS server.', 'warn', ['server']),
    natsStale: t.event('natsStale', 'NATS connections dropped because pings went unanswered (a partition).', 'warn'),
    natsKicked: t.event('natsKicked', 'NATS connections dropped because publishes kept failing on them.', 'warn'),
    natsStandby: t.event('natsStandby', 'Standby connections opened to NATS (publishing moves to one when the other is lost).', 'info', ['server']),
    natsPublishMoved: t.event('natsPublishMoved', 'Moves of publishing to the other NATS connection, the one in use being lost.', 'warn', ['server']),
    natsReconnected: t.event('natsReconnected', 'Reconnections to NATS.', 'info', ['server']),
    natsLameDuck: t.event('natsLameDuck', 'A NATS server announced lame duck mode (it is about to stop).', 'info', ['server']),
    natsError: t.event('natsError', 'Asynchronous errors reported by NATS.', 'warn'),
    streamCreated: t.event('natsStreamCreated', 'JetStream streams created at start.', 'info', ['stream']),
    streamUpdated: t.event('natsStreamUpdated', 'JetStream streams updated at start to match the config.', 'info', ['stream']),
    natsConnectionUp: new Gauge({
      name: 'gatehouse_nats_connected',
      help: '1 while connected to a NATS server (on either connection of a publishing process), 0 otherwise.',
      registers: [t.registry],
    }),
  };
}

export type BusEvents = ReturnType<typeof build>;
export type NatsBusEvents = BusEvents & ReturnType<typeof buildNats>;

const cache = new WeakMap<Telemetry, BusEvents>();
const natsCache = new WeakMap<Telemetry, NatsBusEvents>();

export function busEvents(telemetry: Telemetry): BusEvents {
  let events = cache.get(telemetry);
  if (!events) {
    events = build(telemetry);
    cache.set(telemetry, events);
  }
  return events;
}

/** The bus events and the NATS connection's own (see above). */
export function natsEvents(telemetry: Telemetry): NatsBusEvents {
  let events = natsCache.get(telemetry);
  if (!events) {
    events = { ...busEvents(telemetry), ...buildNats(telemetry) };
    natsCache.set(telemetry, events);
  }
  return events;
}
