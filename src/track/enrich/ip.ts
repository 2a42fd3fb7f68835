import { isIP, isIPv4 } from 'node:net';

/**
 * IP address text as it appears in sockets and forwarding headers, normalised to one spelling so that
 * trust checks, anonymization and geo lookups agree on what an address is.
 */

export type IpFamily = 'ipv4' | 'ipv6';

const MAPPED_PREFIX = '::ffff:';

/**
 * Parses an address token: bare IPv4/IPv6, bracketed IPv6 with an optional port ("[2001:db8::1]:443"),
 * IPv4 with a port ("1.2.3.4:5678"). IPv4-mapped IPv6 ("::ffff:1.2.3.4") becomes plain IPv4, so a dual-stack
 * socket and an IPv4 proxy report the same client. A zone id ("fe80::1%eth0") is dropped: the scope means
 * nothing beyond the host that saw it. Returns undefined for anything else.
 */
export function parseIp(token: string): string | undefined {
  // A request's address is parsed by each check that needs it (client resolver, anonymiser, bot and geo
  // lookups), and a connection's requests share it: the last answer is kept.
  if (token !== lastToken) {
    lastAnswer = parse(token);
    lastToken = token;
  }
  return lastAnswer;
}

let lastToken: string | undefined;
let lastAnswer: string | undefined;

function parse(token: string): string | undefined {
  let text = token.trim();
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end < 0) return undefined;
    const rest = text.slice(end + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return undefined;
    text = text.slice(1, end);
  } else if (text.indexOf(':') === text.lastIndexOf(':') && text.includes('.')) {
    // Exactly one colon and a dot: IPv4 with a port. IPv6 always has at least two colons.
    const [host, port] = text.split(':');
    if (port !== undefined && !/^\d{1,5}$/.test(port)) return undefined;
    text = host ?? '';
  }
  const zone = text.indexOf('%');
  if (zone >= 0 && text.includes(':')) text = text.slice(0, zone);
  const family = isIP(text);
  if (family === 4) return text;
  if (family !== 6) return undefined;
  const lower = text.toLowerCase();
  if (lower.startsWith(MAPPED_PREFIX) && isIPv4(lower.slice(MAPPED_PREFIX.length))) {
    return lower.slice(MAPPED_PREFIX.length);
  }
  return lower;
}

/** The family of an address already normalised by parseIp. */
export function ipFamily(ip: string): IpFamily {
  return isIPv4(ip) ? 'ipv4' : 'ipv6';
}

/** The eight 16-bit groups of a valid IPv6 address (an embedded dotted IPv4 tail is converted). */
export function ipv6Groups(ip: string): number[] {
  let text = ip;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    const [a = 0, b = 0, c = 0, d = 0] = dotted[1].split('.').map(Number);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = new Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((g) => parseInt(g, 16));
}
