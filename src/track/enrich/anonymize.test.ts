import { describe, expect, it } from 'vitest';
import { anonymizeIp, truncateIp, utcDay } from './anonymize.js';

const DAY = new Date('2026-03-01T12:00:00Z');

describe('anonymizeIp', () => {
  it('keeps a normalised address', () => {
    expect(anonymizeIp('::ffff:203.0.113.9', 'keep', 's', DAY)).toBe('203.0.113.9');
  });

  it('truncates IPv4 to /24 and IPv6 to /48', () => {
    expect(anonymizeIp('203.0.113.9', 'truncate', 's', DAY)).toBe('203.0.113.0');
    expect(anonymizeIp('2001:db8:abcd:12:34::1', 'truncate', 's', DAY)).toBe('2001:db8:abcd::');
    expect(truncateIp('2001:db8::1')).toBe('2001:db8:0::');
    expect(truncateIp('::1')).toBe('0:0:0::');
    expect(truncateIp('64:ff9b::192.0.2.33')).toBe('64:ff9b:0::');
  });

  it('drops', () => {
    expect(anonymizeIp('203.0.113.9', 'drop', 's', DAY)).toBeUndefined();
  });

  it('hashes to short hex, stable within a UTC day', () => {
    const a = anonymizeIp('203.0.113.9', 'hash', 'salt', DAY);
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(anonymizeIp('203.0.113.9', 'hash', 'salt', new Date('2026-03-01T23:59:59Z'))).toBe(a);
    expect(a).not.toContain('203');
  });

  it('rotates the hash daily and with the salt, and distinguishes addresses', () => {
    const a = anonymizeIp('2001:db8::1', 'hash', 'salt', DAY);
    expect(anonymizeIp('2001:db8::1', 'hash', 'salt', new Date('2026-03-02T00:00:00Z'))).not.toBe(a);
    expect(anonymizeIp('2001:db8::1', 'hash', 'other', DAY)).not.toBe(a);
    expect(anonymizeIp('2001:db8::2', 'hash', 'salt', DAY)).not.toBe(a);
  });

  it('uses the UTC day, not the local one', () => {
    expect(utcDay(new Date('2026-03-01T23:30:00-05:00'))).toBe('2026-03-02');
  });

  it('drops what is not an address', () => {
    expect(anonymizeIp('not-an-ip', 'keep', 's', DAY)).toBeUndefined();
  });
});
