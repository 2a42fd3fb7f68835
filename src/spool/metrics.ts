import { Gauge, Histogram, type Registry } from 'prom-client';
import type { SpoolStats } from './spool.js';

export interface SpoolMetrics {
  readonly publishSeconds: Histogram;
  readonly commitSeconds: Histogram;
  readonly groupRecords: Histogram;
}

/** Gauges read the live stats at scrape time, so the hot path never touches them. */
export function spoolMetrics(registry: Registry, stats: () => SpoolStats, retryAttempts: () => number): SpoolMetrics {
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  gauge('gatehouse_spool_pending_bytes', 'Bytes in the spool not yet published to the bus.', () => stats().pendingBytes);
  gauge('gatehouse_spool_pending_records', 'Records in the spool not yet published to the bus.', () => stats().pendingRecords);
  gauge('gatehouse_spool_max_bytes', 'Spool capacity; appends past it are refused.', () => stats().maxBytes);
  gauge('gatehouse_spool_oldest_age_seconds', 'Age of the oldest unpublished record (0 when empty).', () => stats().oldestAgeMs / 1000);
  gauge('gatehouse_spool_write_failing', '1 while group writes fail (disk full, I/O error) and appends get 503.', () => (stats().writeError ? 1 : 0));
  gauge('gatehouse_spool_publish_retry_attempts', 'Consecutive failed publishes (0 when the bus accepts).', retryAttempts);

  return {
    publishSeconds: new Histogram({
      name: 'gatehouse_spool_publish_duration_seconds',
      help: 'Latency of one batch publish from the spool to the bus.',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    commitSeconds: new Histogram({
      name: 'gatehouse_spool_commit_duration_seconds',
      help: 'Latency of one group commit (write and, with fsync "always", fdatasync).',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    groupRecords: new Histogram({
      name: 'gatehouse_spool_group_records',
      help: 'Records per group commit (its count is the number of writes).',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000],
      registers: [registry],
    }),
  };
}
