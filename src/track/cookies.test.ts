import { describe, expect, it } from 'vitest';
import { parseConfig } from '../settings/load.js';
import { readCookie, serializeCookie } from './cookies.js';

const options = { maxAgeMs: 1_800_000, domain: '', secure: false };

describe('cookies', () => {
  it('are written with attributes from the options only', () => {
    expect(serializeCookie('sid', 'abc-1', options)).toBe('sid=abc-1; Max-Age=1800; Path=/; SameSite=Lax');
    expect(serializeCookie('vid', 'x', { ...options, domain: '.example.com', secure: true })).toBe('vid=x; Max-Age=1800; Domain=.example.com; Path=/; Secure; SameSite=Lax');
  });

  it('refuse a value outside RFC 6265 instead of rewriting it', () => {
    for (const value of ['a;b', 'a b', 'a\u0000', 'é', '😀']) expect(() => serializeCookie('vid', value, options)).toThrow(TypeError);
  });

  it('are read back only when they hold a plain id', () => {
    expect(readCookie('a=1; vid=GA1.2.3; sid=x', 'vid')).toBe('GA1.2.3');
    expect(readCookie('vid=a%3Bb', 'vid')).toBeUndefined();
    expect(readCookie('vid="quoted"', 'vid')).toBeUndefined();
    expect(readCookie(`vid=${'x'.repeat(129)}`, 'vid')).toBeUndefined();
    expect(readCookie('other=1', 'vid')).toBeUndefined();
    expect(readCookie(undefined, 'vid')).toBeUndefined();
  });

  it('names and domain are checked when the config is loaded', () => {
    const load = (cookies: Record<string, string>) => () => parseConfig({ tracking: { cookies } }, 'test', {});
    expect(load({ domain: '.example.com', visitorName: '_gh_vid' })).not.toThrow();
    expect(load({ domain: 'example.com; HttpOnly' })).toThrow(/domain/);
    expect(load({ visitorName: 'v id' })).toThrow(/visitorName/);
  });
});
