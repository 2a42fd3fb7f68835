import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../telemetry/logger.js';
import { Telemetry } from '../telemetry/telemetry.js';
import { spoolEvents } from './events.js';
import { FailureLog } from './failure-log.js';

interface Line {
  level: number;
  event?: string;
  [key: string]: unknown;
}

/** A FailureLog on real telemetry whose log lines (info and up) are kept. */
function subject(summaryMs: number, failing: () => boolean) {
  const lines: Line[] = [];
  const telemetry = new Telemetry(createLogger('info', { write: (s: string) => void lines.push(JSON.parse(s) as Line) }), { defaultMetrics: false });
  const log = new FailureLog(spoolEvents(telemetry), failing, summaryMs);
  const counted = async () => (await telemetry.registry.getSingleMetric('gatehouse_spool_write_failed_total')?.get())?.values ?? [];
  return { lines, log, counted, events: () => lines.map((l) => l.event) };
}

const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

describe('spool write failure log', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('logs the first failure in full, counts the rest, summarises while they go on, and logs the recovery once', async () => {
    let failing = true;
    const s = subject(100, () => failing);
    for (let i = 0; i < 5_000; i++) s.log.failed('write', enospc());
    s.log.failed('probe', enospc());
    expect(s.events()).toEqual(['spoolWriteFailureStarted']);
    expect(s.lines[0]).toMatchObject({ level: 50, op: 'write', err: { message: expect.stringMatching(/ENOSPC/) } });
    const counts = await s.counted();
    expect(counts.map((v) => [v.labels.op, v.value])).toEqual([['write', 5_000], ['probe', 1]]);

    vi.advanceTimersByTime(100);
    expect(s.events()).toEqual(['spoolWriteFailureStarted', 'spoolWriteFailureSummary']);
    expect(s.lines[1]).toMatchObject({ level: 40, failures: { write: 4_999, probe: 1 }, total: 5_001, failingForMs: 100, lastError: expect.stringMatching(/ENOSPC/) });
    // Quiet periods while writes still fail (no traffic, no probe) log nothing more.
    vi.advanceTimersByTime(300);
    expect(s.events()).toEqual(['spoolWriteFailureStarted', 'spoolWriteFailureSummary']);

    failing = false;
    s.log.recovered();
    s.log.recovered();
    expect(s.events()).toEqual(['spoolWriteFailureStarted', 'spoolWriteFailureSummary', 'spoolWriteRecovered']);
    expect(s.lines.at(-1)).toMatchObject({ level: 30, failures: 5_001 });
    s.log.failed('write', enospc());
    expect(s.events().at(-1)).toBe('spoolWriteFailureStarted');
    s.log.close();
  });

  it('ends a run of other failures (a sync) after a quiet summary period while writes succeed', async () => {
    const s = subject(50, () => false);
    s.log.failed('sync', new Error('EIO: i/o error, fdatasync'));
    vi.advanceTimersByTime(50);
    expect(s.events()).toEqual(['spoolWriteFailureStarted', 'spoolWriteRecovered']);
    s.log.close();
  });
});
