import type { Telemetry } from '../telemetry/telemetry.js';

/**
 * Named internal events of the sinks. Built once per Telemetry: a registry refuses a metric name twice,
 * and several sinks (DuckDB and Cassandra, or two stores on one file) share one process's Telemetry.
 */
function build(t: Telemetry) {
  return {
    /** New event rows stored (duplicates by eid excluded where the store can tell). */
    eventsStored: t.event('sinkEventsStored', 'Events stored by a sink.', 'debug', ['sink']),
    /** A redelivered batch hit rows already stored; they were skipped, not doubled. */
    duplicatesSkipped: t.event('sinkDuplicatesSkipped', 'Events skipped because their eid was already stored.', 'debug', ['sink']),
    recordsStored: t.event('sinkRecordsStored', 'Service records stored by a sink.', 'debug', ['sink', 'kind']),
    /** A write or read against the store failed; the caller gets the error and decides (retry, dead letter). */
    storeFailed: t.event('sinkStoreFailed', 'Failed sink operations.', 'warn', ['sink', 'op']),
    schemaMigrated: t.event('sinkSchemaMigrated', 'Schema migrations applied by a sink.', 'info', ['sink']),
    storeReopened: t.event('sinkStoreReopened', 'Store files attached again after the database invalidated them (a failed checkpoint: a full disk, no memory).', 'warn', ['sink']),
    schemaMigrating: t.event('sinkSchemaMigrating', 'Schema migrations started on an existing file (one may rebuild a table).', 'info', ['sink']),
  };
}

export type SinkEvents = ReturnType<typeof build>;

const cache = new WeakMap<Telemetry, SinkEvents>();

export function sinkEvents(telemetry: Telemetry): SinkEvents {
  let events = cache.get(telemetry);
  if (!events) {
    events = build(telemetry);
    cache.set(telemetry, events);
  }
  return events;
}
