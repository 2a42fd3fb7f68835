export { EnrichConfig } from './config.js';
export { createEnricher, type Enricher, type EnricherOptions } from './enrich.js';
export {
  createClientIpResolver,
  type ClientIpOptions,
  type ClientIpResolver,
  type ForwardedHeader,
} from './client-ip.js';
export { createTrustedProxies, type TrustedProxies } from './trusted-proxies.js';
export { CidrError, compileCidrs, type CidrMatcher } from './cidr.js';
export { parseIp } from './ip.js';
export type { HeaderMap } from './headers.js';
export { anonymizeIp, hashIp, truncateIp, utcDay, type IpMode } from './anonymize.js';
export { resolveSalt } from './salt.js';
export { hashPii, hashPiiFields, normalizeCell, normalizeEmail, normalizeUname } from './pii.js';
export type { PiiField, PiiHashes } from './pii.js';
export { applyClientHints, createUaParser, parseUa, type UaFields, type UaParser, type UaParserOptions } from './ua.js';
export { parseClientHints, type ClientHints } from './client-hints.js';
export { botVerdict, createBotDetector, type BotDetector, type BotDetectorOptions, type BotKind, type BotVerdict } from './bot.js';
export { GeoDatabaseError, openGeo, type GeoLookup } from './geo.js';
export { builtinGeoDatabase, geoDatabases } from './geo-builtin.js';
export { geoFromRecord, type GeoFields, type GeoRecord } from './geo-record.js';
export { CLICK_ID_PARAMS, UTM_FIELDS, extractAttribution, type Attribution, type UtmFields } from './utm.js';
export { classifyReferrer, mediumChannel, referrerHost, type Channel, type ReferrerFacts, type ReferrerInput } from './referrer.js';
export { cultureFrom } from './culture.js';
