import { Type, type StaticDecode } from '@sinclair/typebox';
import { Section, CidrList } from '../../config/types.js';

export const EnrichConfig = Section(
  {
    ip: Type.Union([Type.Literal('keep'), Type.Literal('truncate'), Type.Literal('hash'), Type.Literal('drop')], {
      default: 'truncate',
      description:
        'How the client IP is stored: keep; truncate (IPv4 /24, IPv6 /48); hash (salted, salt rotates daily); drop.',
    }),
    salt: Type.String({
      default: '',
      description:
        'Secret salt for PII hashes (email, cell, uname → ehash, chash, uhash) and IP/visitor hashes. Use "${GATEHOUSE_SALT}". Empty: a random salt per process start (hashes then do not join across restarts).',
    }),
    geo: Section(
      {
        mmdb: Type.Array(Type.String({ minLength: 1 }), {
          default: [],
          description: 'GeoIP databases (.mmdb: MaxMind GeoLite2/GeoIP2 City or Country, DB-IP); looked up in order.',
        }),
        builtin: Type.Boolean({
          default: true,
          description:
            'Also look up the bundled IP-to-country database (ip-location-db geo-whois-asn-country, CC BY 4.0 NRO data) after the configured ones, so countries work with no .mmdb configured. Country only and approximate (the npm build is no longer updated); a configured database that knows the address wins. false: only the configured databases (saves ~8 MB of memory per process).',
        }),
      },
      { description: 'Country, region, city and time zone from the client IP.' },
    ),
    bots: Section(
      {
        extraPatterns: Type.Array(Type.String(), {
          default: [],
          description: 'More user-agent patterns (regular expressions, case-insensitive) to count as bots.',
        }),
        mailPrivacyCidrs: CidrList({
          description:
            'Client addresses or CIDRs of mail privacy proxies (e.g. Apple Mail Privacy Protection egress ranges); requests from them are bot_kind "mail-privacy". The bare "Mozilla/5.0" user agent is recognised without this list.',
        }),
      },
      { description: 'Bot detection (isbot plus AI crawlers, mail privacy proxies and link scanners).' },
    ),
    internalHosts: Type.Array(Type.String(), {
      default: [],
      description: 'Hosts whose referrers count as internal navigation (the request host always does).',
    }),
  },
  { description: 'Server-side enrichment of events.' },
);

export type EnrichConfig = StaticDecode<typeof EnrichConfig>;
