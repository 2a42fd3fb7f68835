import { describe, expect, it } from 'vitest';
import { cultureFrom } from './culture.js';

describe('cultureFrom', () => {
  it.each([
    ['en-US,en;q=0.9,de;q=0.8', 'en-US'],
    ['de', 'de'],
    [' fr-CH ; q=1 , fr', 'fr-CH'],
    ['zh-Hant-TW,zh;q=0.9', 'zh-Hant-TW'],
  ])('%j → %s', (header, expected) => expect(cultureFrom(header)).toBe(expected));

  it.each([undefined, '', '*', '<script>', 'en_US'])('gives nothing for %j', (header) => {
    expect(cultureFrom(header)).toBeUndefined();
  });
});
