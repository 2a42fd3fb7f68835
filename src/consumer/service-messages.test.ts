import { describe, expect, it } from 'vitest';
import { parseServiceRecord } from './service-messages.js';

const message = (body: unknown, storedAt?: number) => ({
  id: 'seq-7',
  subject: 'tic.log.web',
  data: Buffer.from(JSON.stringify(body)),
  ...(storedAt === undefined ? {} : { storedAt }),
});

describe('parseServiceRecord', () => {
  it('places a record without its own time when the bus stored it, so every delivery of it is the same row', () => {
    const storedAt = Date.parse('2026-03-01T10:00:00.123Z');
    const first = parseServiceRecord('log', message({ msg: 'cache cleared' }, storedAt));
    const again = parseServiceRecord('log', message({ msg: 'cache cleared' }, storedAt));
    expect(first).toMatchObject({ kind: 'log', id: 'seq-7', time: '2026-03-01T10:00:00.123Z' });
    expect(again).toEqual(first);
    // The upstream tracker's formats take the same fallback.
    expect(parseServiceRecord('count', message({}, storedAt))).toMatchObject({ time: '2026-03-01T10:00:00.123Z' });
  });

  it("keeps the record's own time, and uses the consume time only on a bus that keeps none", () => {
    const own = parseServiceRecord('log', message({ msg: 'x', time: '2024-05-01T00:00:00.000Z' }, Date.parse('2026-03-01T10:00:00.000Z')));
    expect(own).toMatchObject({ time: '2024-05-01T00:00:00.000Z' });
    const before = Date.now();
    const none = parseServiceRecord('log', message({ msg: 'x' })) as { time: string };
    expect(Date.parse(none.time)).toBeGreaterThanOrEqual(before);
  });
});
