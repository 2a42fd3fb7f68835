import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeEvent, encodeEvent, EventDecodeError } from './codec.js';

describe('event codec', () => {
  it('round-trips an event', () => {
    const event = { eid: 'e1', received: new Date().toISOString(), origin: 'track' as const, ename: 'x', params: { a: 'b' } };
    expect(decodeEvent(encodeEvent(event))).toEqual(event);
  });
  it.each([
    ['not JSON', 'nope'],
    ['an array', '[1]'],
    ['no eid', '{"received":"2026-01-01T00:00:00Z","origin":"track"}'],
    ['a bad received time', '{"eid":"e","received":"yesterday","origin":"track"}'],
    ['no origin', '{"eid":"e","received":"2026-01-01T00:00:00Z"}'],
  ])('rejects %s as a poison message', (_what, text) => {
    expect(() => decodeEvent(Buffer.from(text))).toThrow(EventDecodeError);
  });

  it('decodes any bytes into an event a sink can store (well-formed text, the three fields it relies on) or refuses them as poison', () => {
    // Whole messages as a producer other than a gateway might send them: any JSON with the event's fields or
    // others, lone surrogates escaped or not, and raw bytes.
    const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 8 }), fc.constantFrom('\ud800', '\udfff', '\ud83d\ude00', '__proto__', ''));
    const value = fc.oneof(text, fc.integer(), fc.constant(null), fc.boolean(), fc.array(text, { maxLength: 2 }), fc.dictionary(text, text, { maxKeys: 2 }));
    const fields = fc.record(
      { eid: fc.oneof(text, value), received: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), value), origin: fc.oneof(text, value) },
      { requiredKeys: [] },
    );
    // JSON.stringify writes a lone surrogate as its \u escape: what the decoder must catch.
    const json = fc.tuple(fields, fc.dictionary(text, value, { maxKeys: 3 })).map(([known, extra]) => Buffer.from(JSON.stringify({ ...extra, ...known })));
    fc.assert(
      fc.property(fc.oneof(json, fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b))), (bytes) => {
        let event;
        try {
          event = decodeEvent(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(EventDecodeError);
          return;
        }
        expect(typeof event.eid === 'string' && event.eid.length > 0).toBe(true);
        expect(Number.isNaN(Date.parse(event.received))).toBe(false);
        expect(typeof event.origin).toBe('string');
        // No lone surrogate anywhere, keys included: UTF-8 encoders (the exports) can write every string.
        expect(wellFormedThroughout(event)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

function wellFormedThroughout(value: unknown): boolean {
  if (typeof value === 'string') return value.isWellFormed();
  if (typeof value !== 'object' || value === null) return true;
  return Object.entries(value).every(([k, v]) => k.isWellFormed() && wellFormedThroughout(v));
}
