import { describe, expect, it } from 'vitest';
import { clientOf } from './keys.js';

describe('clientOf', () => {
  it('keys an IPv6 address by its network, IPv4 by the address', () => {
    expect(clientOf('2001:db8:aa:bb:1:2:3:4', 64)).toBe('2001:db8:aa:bb:0:0:0:0/64');
    expect(clientOf('2001:db8:aa:bb::ffff', 64)).toBe(clientOf('2001:db8:aa:bb:ffff::1', 64));
    expect(clientOf('2001:db8:aa:bb::1', 56)).toBe('2001:db8:aa:0:0:0:0:0/56');
    expect(clientOf('2001:db8:aa:1ff::1', 56)).toBe('2001:db8:aa:100:0:0:0:0/56');
    expect(clientOf('2001:db8::1', 128)).toBe('2001:db8::1');
    expect(clientOf('198.51.100.7', 64)).toBe('198.51.100.7');
  });
});
