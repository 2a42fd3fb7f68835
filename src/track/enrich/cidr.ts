import { BlockList } from 'node:net';
import { ipFamily, parseIp } from './ip.js';

/**
 * Address lists (trusted proxies, mail privacy ranges) compiled once into a node:net BlockList, which matches
 * IPv4 and IPv6 prefixes without per-call parsing of the list.
 */

/** An entry that is not an IP address or CIDR block; thrown at startup, naming which list and entry. */
export class CidrError extends Error {
  readonly code = 'CIDR_INVALID';
  constructor(
    readonly list: string,
    readonly entry: string,
    options?: { cause?: unknown },
  ) {
    super(`${list}: ${JSON.stringify(entry)} is not an IP address or CIDR block`, options);
    this.name = 'CidrError';
  }
}

export interface CidrMatcher {
  readonly size: number;
  /** Whether a normalised address (see parseIp) is in the list. */
  has(ip: string): boolean;
}

const MEMO_MAX = 10_000;

export function compileCidrs(entries: readonly string[], list: string): CidrMatcher {
  const blocks = new BlockList();
  for (const entry of entries) {
    const [address = '', prefix, extra] = entry.trim().split('/');
    const ip = parseIp(address);
    if (ip === undefined || extra !== undefined || (prefix !== undefined && !/^\d{1,3}$/.test(prefix))) {
      throw new CidrError(list, entry);
    }
    const family = ipFamily(ip);
    try {
      if (prefix === undefined) blocks.addAddress(ip, family);
      else blocks.addSubnet(ip, effectivePrefix(address, ip, Number(prefix)), family);
    } catch (cause) {
      throw new CidrError(list, entry, { cause });
    }
  }
  if (entries.length === 0) return { size: 0, has: () => false };
  // BlockList.check builds a SocketAddress per call (a few µs); a request path asks about the same few addresses
  // over and over, so answers are memoised (bounded: the map is dropped when full).
  const memo = new Map<string, boolean>();
  return {
    size: entries.length,
    has: (ip) => {
      let hit = memo.get(ip);
      if (hit === undefined) {
        hit = blocks.check(ip, ipFamily(ip));
        if (memo.size >= MEMO_MAX) memo.clear();
        memo.set(ip, hit);
      }
      return hit;
    },
  };
}

/** A mapped "::ffff:10.0.0.0/104" was normalised to IPv4: its prefix loses the 96 bits of the mapping. */
function effectivePrefix(written: string, ip: string, prefix: number): number {
  return ipFamily(ip) === 'ipv4' && written.includes(':') ? prefix - 96 : prefix;
}
