import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The IP-to-country database that ships with Gatehouse, so countries work on a fresh clone without the operator
 * finding and accepting a GeoLite2 licence: ip-location-db's "geo-whois-asn-country" build (npm package
 * `@ip-location-db/geo-whois-asn-country-mmdb`), made from RIR whois data, ASNs and published geofeeds. Data licence:
 * CC BY 4.0 (NRO); the package itself is CC0-1.0. Attribution is in NOTICE.
 * Country only, and its accuracy is the registries' (a country per allocation): a configured City database is
 * looked up first and wins whenever it knows the address.
 */
export const BUILTIN_GEO_PACKAGE = '@ip-location-db/geo-whois-asn-country-mmdb';

/** The bundled database's path (one file for IPv4 and IPv6). */
export function builtinGeoDatabase(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve(`${BUILTIN_GEO_PACKAGE}/package.json`)), 'geo-whois-asn-country.mmdb');
}

/** The databases to open, in lookup order: the configured ones, then (unless turned off) the bundled one. */
export function geoDatabases(geo: { readonly mmdb: readonly string[]; readonly builtin: boolean }): string[] {
  return geo.builtin ? [...geo.mmdb, builtinGeoDatabase()] : [...geo.mmdb];
}
