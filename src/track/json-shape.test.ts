import { describe, expect, it } from 'vitest';
import { JSON_LIMITS, jsonShapeViolation } from './json-shape.js';
import { mayHoldLoneSurrogates, wellFormedJson } from './well-formed.js';

const nested = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;

describe('JSON shape limits', () => {
  it('counts depth outside strings only, escapes included', () => {
    expect(jsonShapeViolation(nested(JSON_LIMITS.maxDepth))).toBeUndefined();
    expect(jsonShapeViolation(nested(JSON_LIMITS.maxDepth + 1))).toEqual({ limit: 'maxDepth', value: JSON_LIMITS.maxDepth });
    expect(jsonShapeViolation(`{"s":"${'['.repeat(100)}\\"${'{'.repeat(100)}"}`)).toBeUndefined();
    expect(jsonShapeViolation(`{"s":"\\\\"${',['.repeat(40)}`)).toEqual({ limit: 'maxDepth', value: JSON_LIMITS.maxDepth });
  });

  it('bounds the entries over all levels', () => {
    expect(jsonShapeViolation(`[${'0,'.repeat(JSON_LIMITS.maxEntries - 2)}0]`)).toBeUndefined();
    expect(jsonShapeViolation(`[${'[],'.repeat(JSON_LIMITS.maxEntries)}0]`)).toEqual({ limit: 'maxEntries', value: JSON_LIMITS.maxEntries });
  });
});

describe('well-formed Unicode', () => {
  it('replaces lone surrogates in values and keys, keeps pairs', () => {
    const text = '{"k":"\\udfff","\\ud800x":["a\\ud83d\\ude00b","\\udc00"]}';
    expect(mayHoldLoneSurrogates(text)).toBe(true);
    expect(wellFormedJson(JSON.parse(text))).toEqual({ k: '\ufffd', '\ufffdx': ['a😀b', '\ufffd'] });
    expect(mayHoldLoneSurrogates('{"k":"😀 \\u00e9"}')).toBe(false);
  });

  it('builds objects without a prototype', () => {
    const value = wellFormedJson(JSON.parse('{"constructor":"\\udfff"}')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBeNull();
    expect(value.constructor).toBe('\ufffd');
  });
});
