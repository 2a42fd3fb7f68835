import { createHmac } from 'node:crypto';
import { ipFamily, ipv6Groups, parseIp } from './ip.js';

/** How the client IP is stored (config `enrich.ip`). */
export type IpMode = 'keep' | 'truncate' | 'hash' | 'drop';

/** Hex characters kept from the IP hash: 64 bits, enough to count distinct clients per day without collisions. */
const HASH_HEX_LENGTH = 16;

/**
 * The IP as stored. truncate keeps the network (IPv4 /24, IPv6 /48: a site, per RFC 6177), which still locates
 * a city but not a household; hash is an HMAC keyed with the salt over the UTC day and the address, so the same
 * client hashes alike within one day and cannot be followed across days. Unparseable input is dropped.
 */
export function anonymizeIp(ip: string, mode: IpMode, salt: string, day: Date): string | undefined {
  if (mode === 'drop') return undefined;
  const normal = parseIp(ip);
  if (normal === undefined) return undefined;
  switch (mode) {
    case 'keep':
      return normal;
    case 'truncate':
      return truncateIp(normal);
    case 'hash':
      return hashIp(normal, salt, day);
  }
}

/** IPv4 to its /24, IPv6 to its /48, in their shortest spelling. */
export function truncateIp(ip: string): string {
  if (ipFamily(ip) === 'ipv4') return ip.replace(/\.\d+$/, '.0');
  const [a = 0, b = 0, c = 0] = ipv6Groups(ip);
  return `${a.toString(16)}:${b.toString(16)}:${c.toString(16)}::`;
}

/** The salted, daily-rotating hash of an address. */
export function hashIp(ip: string, salt: string, day: Date): string {
  return createHmac('sha256', salt).update(`${utcDay(day)}|${ip}`).digest('hex').slice(0, HASH_HEX_LENGTH);
}

/** "YYYY-MM-DD" of the UTC day containing `date`. */
export function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}
