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
});
