import { describe, expect, it } from 'vitest';
import { contractEvent } from '../../../test/helpers/sink-contract.js';
import { UNSET } from './cql.js';
import { MAX_SHAPES, eventToRows } from './event-rows.js';

const FIELDS = ['uid', 'did', 'app', 'rel', 'xid', 'split', 'ver', 'term', 'content'] as const;

describe('event rows by column set', () => {
  it('prepares at most MAX_SHAPES column sets, then names every column, and binds each value to its column', () => {
    const texts = new Set<string>();
    for (let mask = 0; mask < 2 ** FIELDS.length; mask++) {
      const fields = Object.fromEntries(FIELDS.filter((_, i) => mask & (1 << i)).map((f) => [f, `${f}-${mask}`]));
      const event = contractEvent(fields);
      const rows = eventToRows(event, { ttlSeconds: 60 });
      const events = rows.at(-1)!;
      texts.add(events.query);
      const columns = /\(([^)]*)\)/.exec(events.query)![1]!.split(', ');
      for (const f of FIELDS) {
        const i = columns.indexOf(f);
        if (f in fields) expect(events.params[i]).toBe(fields[f]);
        else if (i >= 0) expect(events.params[i]).toBe(UNSET); // the full column list, past MAX_SHAPES
      }
      expect(events.params.at(-1)).toBe(60);
    }
    expect(texts.size).toBe(MAX_SHAPES + 1);
  });
});
