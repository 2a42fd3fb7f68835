import { describe, expect, it } from 'vitest';
import type { ClientIpOptions } from './client-ip.js';
import { createTrustedProxies } from './trusted-proxies.js';

const createHttpsCheck = (list: readonly string[], options: ClientIpOptions = {}) => createTrustedProxies(list, options).isHttps;

describe('HTTPS behind a trusted proxy', () => {
  const https = createHttpsCheck(['10.0.0.0/8', '::1']);
  const from = (peer: string, headers: Record<string, string>, encrypted = false) => https({ peer, encrypted, headers });

  it('believes X-Forwarded-Proto and Forwarded proto= from a trusted peer only', () => {
    expect(from('10.1.2.3', { 'x-forwarded-proto': 'https' })).toBe(true);
    expect(from('::ffff:10.1.2.3', { 'x-forwarded-proto': 'HTTPS' })).toBe(true);
    expect(from('::1', { forwarded: 'for=1.2.3.4;proto=https' })).toBe(true);
    expect(from('10.1.2.3', { 'x-forwarded-proto': 'http' })).toBe(false);
    expect(from('10.1.2.3', {})).toBe(false);
    expect(from('203.0.113.9', { 'x-forwarded-proto': 'https' })).toBe(false);
    expect(from('203.0.113.9', { forwarded: 'proto=https' })).toBe(false);
  });

  it('takes the first value of a list (the proxy nearest the visitor)', () => {
    expect(from('10.1.2.3', { 'x-forwarded-proto': 'https, http' })).toBe(true);
    expect(from('10.1.2.3', { 'x-forwarded-proto': 'http, https' })).toBe(false);
  });

  it('reads only the header configured', () => {
    const xffOnly = createHttpsCheck(['10.0.0.0/8'], { header: 'x-forwarded-for' });
    expect(xffOnly({ peer: '10.1.2.3', encrypted: false, headers: { forwarded: 'proto=https' } })).toBe(false);
    const fwdOnly = createHttpsCheck(['10.0.0.0/8'], { header: 'forwarded' });
    expect(fwdOnly({ peer: '10.1.2.3', encrypted: false, headers: { 'x-forwarded-proto': 'https' } })).toBe(false);
  });

  it('is true on our own TLS, whoever the peer', () => {
    expect(from('203.0.113.9', {}, true)).toBe(true);
    expect(createHttpsCheck([])({ peer: '10.1.2.3', encrypted: false, headers: { 'x-forwarded-proto': 'https' } })).toBe(false);
  });
});
