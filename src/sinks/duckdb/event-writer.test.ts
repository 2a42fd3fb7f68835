import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { uuidv7 } from '../../track/uuid7.js';
import fc from 'fast-check';
import { lookupSpans, madeAtReceipt } from './event-writer.js';

describe('madeAtReceipt', () => {
  const received = Date.parse('2026-03-01T10:00:00.000Z');

  it("tells the gateway's own eids (a UUIDv7 of the receive time) from the clients'", () => {
    expect(madeAtReceipt(uuidv7(received), received)).toBe(true);
    expect(madeAtReceipt(uuidv7(received + 3), received)).toBe(true);
    // A client's UUIDv7 made before its request (a retry), or long after by a skewed clock, is the client's.
    expect(madeAtReceipt(uuidv7(received - 30_000), received)).toBe(false);
    expect(madeAtReceipt(uuidv7(received + 60_000), received)).toBe(false);
    expect(madeAtReceipt(randomUUID(), received)).toBe(false);
    expect(madeAtReceipt('ajs-next-0123456789abcdef', received)).toBe(false);
  });
});

describe('lookupSpans', () => {
  it('covers every look within at most 16 spans, each eid in the span that holds its times', () => {
    const look = fc.record({ eid: fc.uuid(), from: fc.bigInt({ min: 0n, max: 10n ** 12n }), width: fc.bigInt({ min: 0n, max: 10n ** 9n }) });
    fc.assert(
      fc.property(fc.array(look, { minLength: 1, maxLength: 300, size: 'max' }), (raw) => {
        const looks = raw.map((l) => ({ eid: l.eid, from: l.from, to: l.from + l.width }));
        const spans = lookupSpans(looks);
        expect(spans.length).toBeLessThanOrEqual(16);
        expect(spans.flatMap((s) => s.eids).sort()).toEqual(looks.map((l) => l.eid).sort());
        for (const l of looks) {
          const span = spans.find((s) => s.eids.includes(l.eid));
          expect(span!.from <= l.from && l.to <= span!.to).toBe(true);
        }
        // Spans are apart, in order: none overlaps the next.
        for (let i = 1; i < spans.length; i++) expect(spans[i]!.from > spans[i - 1]!.to).toBe(true);
      }),
    );
  });

  it('reads close receive times as one span, and far ones apart', () => {
    const s = 1_000_000n;
    const spans = lookupSpans([
      { eid: 'a', from: 0n, to: 0n },
      { eid: 'b', from: 5n * s, to: 5n * s },
      { eid: 'c', from: 3600n * s, to: 3600n * s },
    ]);
    expect(spans).toEqual([
      { from: 0n, to: 5n * s, eids: ['a', 'b'] },
      { from: 3600n * s, to: 3600n * s, eids: ['c'] },
    ]);
  });
});
