import { describe, expect, it } from 'vitest';
import { parseUrl } from './url.js';

describe('parseUrl', () => {
  it('parses an absolute URL', () => {
    expect(parseUrl('https://Shop.example.com/a?utm_source=x')?.hostname).toBe('shop.example.com');
  });

  it('resolves a relative URL against the base, and without a base gives undefined', () => {
    expect(parseUrl('/landing?utm_medium=email', 'http://placeholder.invalid/')?.searchParams.get('utm_medium')).toBe('email');
    expect(parseUrl('/landing?utm_medium=email')).toBeUndefined();
  });

  it('gives undefined for what is not a URL instead of throwing', () => {
    expect(parseUrl('http://exa mple.com/')).toBeUndefined();
    expect(parseUrl('http://[::1')).toBeUndefined();
  });
});
