import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { Telemetry } from './telemetry.js';

describe('Telemetry', () => {
  it('exposes the standard process and Node.js series under their usual names', async () => {
    const text = await new Telemetry(createLogger('silent')).metrics();
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds']) {
      expect(text).toMatch(new RegExp(`^${name} `, 'm'));
    }
    expect(text).not.toMatch(/^gatehouse_(process|nodejs)_/m);
  });

  it('counts a named event as gatehouse_<snake_name>_total with its labels', async () => {
    const telemetry = new Telemetry(createLogger('silent'), { defaultMetrics: false });
    const rejected = telemetry.event('eventRejected', 'Events refused.', 'debug', ['reason']);
    rejected({ reason: 'invalid_fields' }, {}, 3);
    expect(await telemetry.metrics()).toContain('gatehouse_event_rejected_total{reason="invalid_fields"} 3');
  });
});
