import type { Bus, Delivery, Subscription } from '../bus/bus.js';
import type { ServiceRecord, Sink } from '../sinks/sink.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import { subscribeOptions, type ConsumerConfig } from './config.js';
import { redeliveryDelay } from './redelivery.js';
import { tooLarge } from './message-size.js';
import { isUpstreamLog, upstreamCount, upstreamLog, upstreamUpdate, type Base } from './upstream-records.js';

type Kind = ServiceRecord['kind'];

/**
 * Log, counter and update messages from other services, on their own subjects (`tic.log.>` etc.), stored in
 * the `logs`, `counters` and `updates` tables with the same ack-after-write rule as events.
 * Formats (JSON): see docs/delivery.md, "Service messages".
 */
export function serviceSubscriptions(options: {
  config: ConsumerConfig;
  bus: Bus;
  sinks: readonly Sink[];
  telemetry: Telemetry;
  /** As the event consumer's (consumer.ts): a larger message is dead-lettered. */
  maxMessageBytes?: number | undefined;
}): Subscription[] {
  const { config, bus, sinks, telemetry } = options;
  const dead = telemetry.event('serviceMessageRejected', 'Service messages that could not be stored.', 'warn', ['kind']);
  const kinds: [Kind, string][] = [
    ['log', config.serviceSubjects.logs],
    ['count', config.serviceSubjects.counts],
    ['update', config.serviceSubjects.updates],
  ];
  return kinds.map(([kind, subject]) =>
    bus.subscribe(
      subscribeOptions(config, `${config.durable}-${kind}`, subject),
      async (batch: Delivery[]) => {
        const records: ServiceRecord[] = [];
        const valid: Delivery[] = [];
        for (const d of batch) {
          const record = tooLarge(d.data, options.maxMessageBytes) ?? parseServiceRecord(kind, d);
          if (typeof record === 'string') {
            dead({ kind }, { id: d.id, why: record });
            await d.deadLetter(record);
          } else {
            records.push(record);
            valid.push(d);
          }
        }
        if (records.length === 0) return;
        try {
          for (const sink of sinks) await sink.writeRecords?.(records);
        } catch (err) {
          for (const d of valid) {
            if (d.deliveries >= config.maxDeliver) await d.deadLetter(`write failed: ${(err as Error).message}`);
            else d.nak(redeliveryDelay(config.retryBackoff, d.deliveries));
          }
          return;
        }
        await Promise.all(valid.map((d) => d.ack()));
      },
    ),
  );
}

/**
 * Returns the record, or the reason it is invalid. Gatehouse's format (README "Service messages") and the
 * upstream tracker's (./upstream-records.ts) are both read: a count without `name`, an update without `table`
 * and a log with upstream fields are upstream's.
 */
export function parseServiceRecord(kind: Kind, d: Pick<Delivery, 'id' | 'data' | 'subject' | 'storedAt'>): ServiceRecord | string {
  let v: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(d.data).toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'not a JSON object';
    v = parsed as Record<string, unknown>;
  } catch {
    return 'not valid JSON';
  }
  // Without its own time, a record is placed when the bus stored it: the same on every delivery, so a redelivered
  // record is the same row (the Cassandra sink keys records by time and id). The consume time only for a bus
  // that keeps no such time.
  const time = typeof v.time === 'string' ? v.time : new Date(d.storedAt ?? Date.now()).toISOString();
  const upstream: Base = { id: d.id, time, subject: d.subject };
  const id = typeof v.id === 'string' && v.id ? v.id : d.id;
  const str = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  switch (kind) {
    case 'log': {
      if (isUpstreamLog(v)) return upstreamLog(v, upstream);
      const msg = str('msg');
      if (!msg) return 'log needs "msg"';
      const fields = typeof v.fields === 'object' && v.fields !== null ? (v.fields as Record<string, unknown>) : undefined;
      return { kind, id, time, subject: d.subject, msg, ...(str('level') ? { level: str('level') } : {}), ...(fields ? { fields } : {}) };
    }
    case 'count': {
      if (v.name === undefined) return upstreamCount(v, upstream);
      const name = str('name');
      const by = v.by === undefined ? 1 : v.by;
      if (!name) return '"name" must be a non-empty string';
      if (typeof by !== 'number' || !Number.isInteger(by)) return '"by" must be an integer';
      return { kind, id, time, subject: d.subject, name, by, ...(str('key') ? { key: str('key') } : {}) };
    }
    case 'update': {
      if (v.table === undefined) return upstreamUpdate(v, upstream);
      const table = str('table');
      const key = str('key');
      if (!table || !key) return 'update needs "table" and "key"';
      if (typeof v.values !== 'object' || v.values === null) return 'update needs "values"';
      return { kind, id, time, subject: d.subject, table, key, values: v.values as Record<string, unknown> };
    }
  }
}
