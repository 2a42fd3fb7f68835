import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BusMessage } from './bus.js';
import { pack, PackError, unpack, type Pack } from './pack.js';

const text = new TextEncoder();
const msg = (id: string, body = `{"eid":"${id}"}`, packEnd?: boolean): BusMessage => ({ id, data: text.encode(body), ...(packEnd ? { packEnd } : {}) });
const decode = (d: Uint8Array) => new TextDecoder().decode(d);
const roundTrip = (p: Pack) => unpack(p.id, p.data, p.ids, p.sizes).map((m) => [m.id, decode(m.data)]);

describe('packs', () => {
  it('joins events as NDJSON and splits them back by the headers, not by newlines in the payload', () => {
    const messages = [msg('a1'), msg('a2', '{"text":"line one\\nline two"}'), msg('a3', 'raw\nbytes')];
    const [p, ...rest] = pack(messages);
    expect(rest).toEqual([]);
    expect(p?.id).toBe('a1+3');
    expect(decode(p?.data ?? new Uint8Array())).toBe('{"eid":"a1"}\n{"text":"line one\\nline two"}\nraw\nbytes');
    expect(roundTrip(p as Pack)).toEqual(messages.map((m) => [m.id, decode(m.data)]));
  });

  it('sends a pack of one exactly as the message alone, without pack headers', () => {
    const [p] = pack([msg('solo')]);
    expect(p).toEqual({ id: 'solo', data: text.encode('{"eid":"solo"}'), count: 1 });
    expect(roundTrip(p as Pack)).toEqual([['solo', '{"eid":"solo"}']]);
  });

  it('cuts after a packEnd mark, at the message limit and at the byte limit; a large message travels alone', () => {
    const marked = [msg('a1'), msg('a2', undefined, true), msg('b1'), msg('b2'), msg('b3')];
    expect(pack(marked, 2).map((p) => p.id)).toEqual(['a1+2', 'b1+2', 'b3']);
    const big = msg('big', 'x'.repeat(100));
    expect(pack([msg('s1', 'x'.repeat(30)), msg('s2', 'x'.repeat(30)), big, msg('s3', 'x'.repeat(30))], 10, 64).map((p) => p.id)).toEqual([
      's1+2',
      'big',
      's3',
    ]);
  });

  it('gives back every message, id and bytes, whatever they hold and wherever the packs are cut', () => {
    const message = fc.record({
      id: fc.string({ unit: 'binary', maxLength: 20 }),
      data: fc.uint8Array({ maxLength: 60 }),
      packEnd: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 200 }), (messages, maxMessages, maxBytes) => {
        const packs = pack(messages, maxMessages, maxBytes);
        const back = packs.flatMap((p) => unpack(p.id, p.data, p.ids, p.sizes));
        expect(back.map((m) => [m.id, [...m.data]])).toEqual(messages.map((m) => [m.id, [...m.data]]));
        for (const p of packs) {
          expect(p.count).toBeLessThanOrEqual(maxMessages);
          // Past the byte limit only when one message alone is larger.
          if (p.count > 1) expect(p.data.byteLength - (p.count - 1)).toBeLessThanOrEqual(maxBytes);
        }
        // The same messages are cut the same way: a re-publish is the same pack, with the same id.
        expect(pack(messages, maxMessages, maxBytes).map((p) => p.id)).toEqual(packs.map((p) => p.id));
      }),
    );
  });

  it('reads any headers and payload as parts that tile the payload exactly, or refuses them with a PackError', () => {
    const sizes = fc.oneof(fc.array(fc.integer({ min: -2, max: 12 }), { maxLength: 5 }).map((l) => l.join(',')), fc.string({ maxLength: 12 }));
    const ids = fc.oneof(fc.array(fc.string({ maxLength: 4 }), { maxLength: 5 }).map((l) => JSON.stringify(l)), fc.string({ maxLength: 12 }));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.option(ids, { nil: undefined }), fc.option(sizes, { nil: undefined }), (data, idsHeader, sizesHeader) => {
        let parts;
        try {
          parts = unpack('m', data, idsHeader, sizesHeader);
        } catch (err) {
          expect(err).toBeInstanceOf(PackError);
          return;
        }
        // Parts and the newlines between them make up the payload, byte for byte.
        const joined = parts.flatMap((part, i) => (i > 0 ? [0x0a, ...part.data] : [...part.data]));
        expect(joined).toEqual([...data]);
      }),
    );
  });

  it('refuses pack headers that disagree with the payload', () => {
    const [p] = pack([msg('a1'), msg('a2')]) as [Pack];
    expect(() => unpack(p.id, p.data, p.ids, '5,5')).toThrow(PackError);
    expect(() => unpack(p.id, p.data, p.ids, '12')).toThrow(/2 ids but 1 sizes/);
    expect(() => unpack(p.id, p.data, '["a1"', p.sizes)).toThrow(/not JSON/);
    expect(() => unpack(p.id, p.data, p.ids, undefined)).toThrow(/needs both/);
    expect(() => unpack(p.id, Buffer.concat([p.data, text.encode('!')]), p.ids, p.sizes)).toThrow(/longer than its parts/);
  });
});
