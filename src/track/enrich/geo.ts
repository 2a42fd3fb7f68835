import maxmind, { type Reader, type Response } from 'maxmind';
import { isIP } from 'node:net';
import { geoFromRecord, type GeoFields, type GeoRecord } from './geo-record.js';
import { parseIp } from './ip.js';

export type { GeoFields } from './geo-record.js';

/** Geo facts for an address; {} for private, unknown or unparseable addresses. */
export type GeoLookup = (ip: string) => GeoFields;

/** A database that cannot be read; names the path so the operator knows which config entry to fix. */
export class GeoDatabaseError extends Error {
  readonly code = 'GEO_DB_INVALID';
  constructor(
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    const reason = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super(`cannot open GeoIP database ${JSON.stringify(path)}${reason}`, options);
    this.name = 'GeoDatabaseError';
  }
}

/**
 * Opens every database up front (maxmind reads the whole file into memory), so a missing or corrupt file fails at
 * startup instead of on the first event. Lookups try the databases in order; the first with an answer wins.
 */
export async function openGeo(paths: readonly string[]): Promise<GeoLookup> {
  const readers = await Promise.all(paths.map(openOne));
  return (ip) => {
    const addr = parseIp(ip);
    if (addr === undefined) return {};
    const v6 = isIP(addr) === 6;
    for (const reader of readers) {
      // An IPv4-only database answers an IPv6 query from unrelated bits: never ask it.
      if (v6 && reader.metadata.ipVersion === 4) continue;
      const found = geoFromRecord(safeGet(reader, addr));
      if (Object.keys(found).length > 0) return found;
    }
    return {};
  };
}

async function openOne(path: string): Promise<Reader<Response>> {
  try {
    return await maxmind.open(path);
  } catch (cause) {
    throw new GeoDatabaseError(path, { cause });
  }
}

function safeGet(reader: Reader<Response>, ip: string): GeoRecord | null {
  try {
    // The record layout depends on the database (see geo-record.ts), which reads every field defensively.
    return reader.get(ip) as unknown as GeoRecord | null;
  } catch {
    // mmdb-lib throws on addresses it cannot place in the tree; that is "unknown", not a server error.
    return null;
  }
}
