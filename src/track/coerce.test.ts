import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { toBoolean, toCreated, toNumber, toParamsObject, toText } from './coerce.js';

/** Properties of the upstream-compatible coercions: what is accepted comes out typed, the rest is refused. */
describe('coercions', () => {
  it('numbers and their text read the same; anything else numeric-looking is refused', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => {
        expect(toNumber(n)).toBe(n);
        expect(toNumber(String(n)) === n).toBe(true); // -0 reads back as 0
      }),
    );
    fc.assert(fc.property(fc.oneof(fc.boolean(), fc.constant(null), fc.object(), fc.constant(''), fc.constant(' ')), (v) => {
      expect(toNumber(v)).toBeUndefined();
    }));
  });

  it('booleans: only true/false and their exact text', () => {
    fc.assert(
      fc.property(fc.anything(), (v) => {
        const b = toBoolean(v);
        if (v === true || v === 'true') expect(b).toBe(true);
        else if (v === false || v === 'false') expect(b).toBe(false);
        else expect(b).toBeUndefined();
      }),
    );
  });

  it('text: strings as sent, finite numbers as their text, nothing else', () => {
    fc.assert(fc.property(fc.string(), (s) => {
      expect(toText(s)).toBe(s);
    }));
    fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => {
      expect(Number(toText(n)) === n).toBe(true);
    }));
    fc.assert(fc.property(fc.oneof(fc.boolean(), fc.object(), fc.array(fc.string())), (v) => {
      expect(toText(v)).toBeUndefined();
    }));
  });

  it('created: epoch ms (number or digits) round-trips through ISO 8601; other strings are kept', () => {
    const epoch = fc.integer({ min: 0, max: 253402300799999 });
    fc.assert(
      fc.property(epoch, (ms) => {
        expect(Date.parse(toCreated(ms) ?? '')).toBe(ms);
        expect(toCreated(String(ms))).toBe(toCreated(ms));
      }),
    );
    fc.assert(fc.property(fc.string().filter((s) => !/^\d{1,15}$/.test(s)), (s) => {
      expect(toCreated(s)).toBe(s);
    }));
    fc.assert(fc.property(fc.oneof(fc.integer({ max: -1 }), fc.double({ min: 0.1, max: 1e6 }).filter((n) => !Number.isInteger(n)), fc.boolean()), (v) => {
      expect(toCreated(v)).toBeUndefined();
    }));
  });

  it('params: an object, or its JSON text, reads the same', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string().filter((k) => k !== '__proto__'), fc.oneof(fc.string(), fc.integer(), fc.boolean())), (o) => {
        expect(toParamsObject(o)).toEqual(o);
        expect(toParamsObject(JSON.stringify(o))).toEqual(o);
      }),
    );
    fc.assert(fc.property(fc.oneof(fc.array(fc.integer()).map((a) => JSON.stringify(a)), fc.constant('{'), fc.integer()), (v) => {
      expect(toParamsObject(v)).toBeUndefined();
    }));
  });
});
