import { randomUUID } from 'node:crypto';
import type { TrackEvent } from '../../src/track/event.js';

/**
 * A consumer batch as the Cassandra sink gets it under load (consumer.batchSize's default 2000): `visitors`
 * visitors with one session each, their events interleaved, 4 hosts, 100 URLs, ~500-byte page events, one
 * millisecond apart from `start`.
 */
export function sampleBatch(n = 2000, visitors = 200, start = Date.now()): TrackEvent[] {
  return Array.from({ length: n }, (_, i) => {
    const v = i % visitors;
    return {
      eid: randomUUID(), received: new Date(start + i).toISOString(), origin: 'track', ename: 'load/page', etyp: 'page',
      vid: `vid-${v}`, sid: `sid-${v}`, url: `https://www.example.com/products/item-${i % 100}`, ref: 'https://www.google.com/',
      ref_host: 'www.google.com', channel: 'search', host: `h${v % 4}.example.com`, ip: '203.0.113.0', ua_browser: 'Chrome 126',
      ua_os: 'Mac OS 10.15.7', ua_device: 'desktop', bot: false, culture: 'en-GB', source: 'newsletter', medium: 'email',
      campaign: 'november', w: 1440, h: 900, first: true, params: { plan: 'pro', experiment: 'b', position: String(i % 7) },
    };
  });
}
