import { describe, expect, it } from 'vitest';
import { eventFromColumns } from './event-columns.js';

describe('eventFromColumns', () => {
  const received = new Date('2026-01-02T03:04:05.678Z');

  it('reads params as each store returns them: JSON text (DuckDB) or a Map (the Cassandra driver)', () => {
    const fromText = eventFromColumns({ eid: 'e1', received, params: '{"plan":"pro"}' });
    const fromMap = eventFromColumns({ eid: 'e1', received, params: new Map([['plan', 'pro'], ['hasOwnProperty', 'x']]) });
    expect(fromText).toEqual({ eid: 'e1', received: '2026-01-02T03:04:05.678Z', params: { plan: 'pro' } });
    expect(JSON.parse(JSON.stringify(fromMap.params))).toEqual({ plan: 'pro', hasOwnProperty: 'x' });
  });

  it('leaves out absent columns', () => {
    expect(eventFromColumns({ eid: 'e2', received, url: null, params: null })).toEqual({ eid: 'e2', received: '2026-01-02T03:04:05.678Z' });
  });
});
