/**
 * The fields Gatehouse keeps from a GeoIP record, read from either of the two .mmdb layouts in use:
 * MaxMind's GeoLite2/GeoIP2 City and Country (also DB-IP's lite databases), and the flat layout of the
 * ip-location-db builds (country_code, state1, state2, city, postcode, latitude, longitude, timezone).
 */
export interface GeoFields {
  country?: string; // ISO 3166-1 alpha-2
  region?: string; // first subdivision: ISO code when known, else its name
  city?: string;
  geo_tz?: string; // IANA time zone
}

interface Named {
  iso_code?: unknown;
  names?: { en?: unknown };
}

/** The union of both layouts, every field optional and untrusted (a database is input like any other). */
export interface GeoRecord {
  country?: Named;
  subdivisions?: Named[];
  city?: Named | string;
  location?: { time_zone?: unknown };
  country_code?: unknown;
  state1?: unknown;
  timezone?: unknown;
}

export function geoFromRecord(record: GeoRecord | null | undefined): GeoFields {
  if (!record) return {};
  const out: GeoFields = {};
  const flatCity = typeof record.city === 'string' ? record.city : undefined;
  const namedCity = typeof record.city === 'object' ? record.city : undefined;
  const subdivision = record.subdivisions?.[0];
  set(out, 'country', text(record.country?.iso_code) ?? text(record.country_code));
  set(out, 'region', text(subdivision?.iso_code) ?? text(subdivision?.names?.en) ?? text(record.state1));
  set(out, 'city', text(namedCity?.names?.en) ?? text(flatCity));
  set(out, 'geo_tz', text(record.location?.time_zone) ?? text(record.timezone));
  return out;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function set(out: GeoFields, key: keyof GeoFields, value: string | undefined): void {
  if (value !== undefined) out[key] = value;
}
