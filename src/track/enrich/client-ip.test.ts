import { isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CidrError, compileCidrs } from './cidr.js';
import { createClientIpResolver } from './client-ip.js';
import { parseForwardedFor } from './forwarded.js';
import { parseIp } from './ip.js';

const PROXIES = ['10.0.0.0/8', '192.168.1.1', 'fd00::/8', '::ffff:172.16.0.0/108'];
const resolve = createClientIpResolver(PROXIES);
/** PROXIES as the resolver matches them. */
const TRUSTED = compileCidrs(PROXIES, 'trustedProxies');

describe('parseIp', () => {
  it.each([
    ['1.2.3.4', '1.2.3.4'],
    [' 1.2.3.4:5678 ', '1.2.3.4'],
    ['2001:DB8::1', '2001:db8::1'],
    ['[2001:db8::1]:443', '2001:db8::1'],
    ['[2001:db8::1]', '2001:db8::1'],
    ['::ffff:1.2.3.4', '1.2.3.4'],
    ['[::ffff:1.2.3.4]:80', '1.2.3.4'],
    ['fe80::1%eth0', 'fe80::1'],
  ])('%s → %s', (input, expected) => expect(parseIp(input)).toBe(expected));

  it.each(['', 'unknown', '_hidden', '1.2.3', '999.1.1.1', '[2001:db8::1', '[::1]x', '1.2.3.4:http', '1.2.3.4%eth0', 'a:b:c'])(
    'rejects %j',
    (input) => expect(parseIp(input)).toBeUndefined(),
  );
});

describe('createClientIpResolver', () => {
  it('uses the peer and ignores forwarding headers when the peer is not trusted', () => {
    const headers = { 'x-forwarded-for': '6.6.6.6', forwarded: 'for=7.7.7.7' };
    expect(resolve('203.0.113.9', headers)).toBe('203.0.113.9');
  });

  it('ignores headers entirely with an empty trusted list', () => {
    const none = createClientIpResolver([]);
    expect(none('10.0.0.1', { 'x-forwarded-for': '6.6.6.6' })).toBe('10.0.0.1');
  });

  it('returns the peer when a trusted peer sends no forwarding header', () => {
    expect(resolve('10.0.0.1', {})).toBe('10.0.0.1');
  });

  it('walks a multi-hop chain from the right, skipping trusted hops', () => {
    const headers = { 'x-forwarded-for': '198.51.100.7, 10.1.1.1, 192.168.1.1' };
    expect(resolve('10.0.0.2', headers)).toBe('198.51.100.7');
  });

  it('ignores spoofed leftmost entries: the first untrusted from the right wins', () => {
    const headers = { 'x-forwarded-for': '1.1.1.1, 2.2.2.2, 198.51.100.7, 10.1.1.1' };
    expect(resolve('10.0.0.2', headers)).toBe('198.51.100.7');
  });

  it('joins repeated X-Forwarded-For headers in order', () => {
    const headers = { 'x-forwarded-for': ['6.6.6.6', '198.51.100.7, 10.1.1.1'] };
    expect(resolve('10.0.0.2', headers)).toBe('198.51.100.7');
  });

  it('returns the leftmost entry when every hop is trusted', () => {
    expect(resolve('10.0.0.2', { 'x-forwarded-for': '10.9.9.9, 10.1.1.1' })).toBe('10.9.9.9');
  });

  it('stops at a malformed entry and returns the last trusted hop', () => {
    expect(resolve('10.0.0.2', { 'x-forwarded-for': '198.51.100.7, garbage, 10.1.1.1' })).toBe('10.1.1.1');
    expect(resolve('10.0.0.2', { 'x-forwarded-for': 'garbage' })).toBe('10.0.0.2');
    expect(resolve('10.0.0.2', { 'x-forwarded-for': '' })).toBe('10.0.0.2');
  });

  it('reads RFC 7239 Forwarded, quoted IPv6 with port included', () => {
    const headers = { forwarded: 'for=198.51.100.7;proto=https, for="[2001:db8:cafe::17]:4711";by=10.0.0.9, for=10.1.1.1' };
    expect(resolve('10.0.0.2', headers)).toBe('2001:db8:cafe::17');
  });

  it('treats an obfuscated or missing Forwarded for= as malformed', () => {
    expect(resolve('10.0.0.2', { forwarded: 'for=198.51.100.7, for=_hidden, for=10.1.1.1' })).toBe('10.1.1.1');
    expect(resolve('10.0.0.2', { forwarded: 'for=198.51.100.7, proto=https' })).toBe('10.0.0.2');
  });

  it('falls back to the peer when both headers are present and disagree', () => {
    const headers = { 'x-forwarded-for': '198.51.100.7', forwarded: 'for=6.6.6.6' };
    expect(resolve('10.0.0.2', headers)).toBe('10.0.0.2');
    expect(resolve('10.0.0.2', { ...headers, forwarded: 'for=198.51.100.7' })).toBe('198.51.100.7');
  });

  it('reads only the configured header', () => {
    const xffOnly = createClientIpResolver(PROXIES, { header: 'x-forwarded-for' });
    const headers = { 'x-forwarded-for': '198.51.100.7', forwarded: 'for=6.6.6.6' };
    expect(xffOnly('10.0.0.2', headers)).toBe('198.51.100.7');
    const fwdOnly = createClientIpResolver(PROXIES, { header: 'forwarded' });
    expect(fwdOnly('10.0.0.2', headers)).toBe('6.6.6.6');
  });

  it('handles IPv6 peers and trusted IPv6 ranges', () => {
    expect(resolve('fd12::1', { 'x-forwarded-for': '2001:db8::42, fd00::7' })).toBe('2001:db8::42');
    expect(resolve('2001:db8::9', { 'x-forwarded-for': '6.6.6.6' })).toBe('2001:db8::9');
  });

  it('normalises IPv4-mapped peers and hops, and mapped CIDRs in the trusted list', () => {
    expect(resolve('::ffff:10.0.0.2', { 'x-forwarded-for': '::ffff:198.51.100.7' })).toBe('198.51.100.7');
    expect(resolve('::ffff:203.0.113.9', { 'x-forwarded-for': '6.6.6.6' })).toBe('203.0.113.9');
    expect(resolve('172.16.3.4', { 'x-forwarded-for': '198.51.100.7' })).toBe('198.51.100.7');
  });

  it('strips ports from hops', () => {
    expect(resolve('10.0.0.2', { 'x-forwarded-for': '198.51.100.7:5678, 10.1.1.1:80' })).toBe('198.51.100.7');
  });

  it('rejects invalid trusted entries at construction, naming them', () => {
    expect(() => createClientIpResolver(['10.0.0.0/40'])).toThrow(CidrError);
    expect(() => createClientIpResolver(['nope'])).toThrow(/trustedProxies: "nope"/);
  });
});

describe('parseForwardedFor', () => {
  it('splits outside quotes and unquotes', () => {
    expect(parseForwardedFor('for="a,b";proto=http, FOR=1.2.3.4, by=x')).toEqual(['a,b', '1.2.3.4', '']);
  });
});

describe('client address, any forwarding headers', () => {
  const ip = fc.oneof(fc.ipV4(), fc.ipV6(), fc.constantFrom('10.1.2.3', '192.168.1.1', 'fd00::5', '::ffff:172.16.0.9', '::ffff:1.2.3.4'));
  const withPort = (a: string) => (a.includes(':') ? `[${a}]:8080` : `${a}:8080`);
  const hop = fc.oneof(ip, ip.map(withPort), fc.constantFrom('unknown', '_hidden', '', ' ', '"', 'for=', ';'), fc.string({ maxLength: 8 }));
  /** Hops as X-Forwarded-For fields (one or repeated) and as Forwarded for= elements, with the hops kept. */
  const claims = fc.record({
    xff: fc.option(fc.array(fc.array(hop, { maxLength: 5 }), { minLength: 1, maxLength: 3 }), { nil: undefined }),
    fwd: fc.option(fc.array(hop, { minLength: 1, maxLength: 4 }), { nil: undefined }),
    separator: fc.constantFrom(',', ', ', ' ,'),
  });

  it('is always one address: an untrusted peer alone, else the peer or an address a trusted hop passed on', () => {
    fc.assert(
      fc.property(ip, claims, (peer, { xff, fwd, separator }) => {
        const headers: Record<string, string | string[]> = {};
        if (xff) headers['x-forwarded-for'] = xff.length === 1 ? xff[0]!.join(separator) : xff.map((l) => l.join(separator));
        if (fwd) headers.forwarded = fwd.map((h) => `for=${h.includes(':') ? `"${h}"` : h}`).join(', ');
        const client = resolve(peer, headers);
        expect(isIP(client), client).not.toBe(0);
        const self = parseIp(peer);
        if (!TRUSTED.has(self ?? peer)) {
          expect(client).toBe(self);
          return;
        }
        const passedOn = new Set([...(xff ?? []).flat(), ...(fwd ?? [])].map((h) => parseIp(h)));
        expect(client === self || passedOn.has(client), `${client} from ${peer} ${JSON.stringify(headers)}`).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
