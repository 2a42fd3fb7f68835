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

  it('refuses pack headers that disagree with the payload', () => {
    const [p] = pack([msg('a1'), msg('a2')]) as [Pack];
    expect(() => unpack(p.id, p.data, p.ids, '5,5')).toThrow(PackError);
    expect(() => unpack(p.id, p.data, p.ids, '12')).toThrow(/2 ids but 1 sizes/);
    expect(() => unpack(p.id, p.data, '["a1"', p.sizes)).toThrow(/not JSON/);
    expect(() => unpack(p.id, p.data, p.ids, undefined)).toThrow(/needs both/);
    expect(() => unpack(p.id, Buffer.concat([p.data, text.encode('!')]), p.ids, p.sizes)).toThrow(/longer than its parts/);
  });
});
