/**
 * The tracking code of one request without HTTP: request facts, build, identity, enrich and the hand-off to the
 * pipeline (a no-op here), for the pixel and the POST event of the load benchmark, in one process. Reports the
 * process's CPU time per event (median of the reps), which a busy machine disturbs far less than wall time.
 * Run: npx tsx bench/micro/record-loop.ts [events per rep, default 100000]
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { defaultConfig } from '../../src/settings/load.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { buildTrackContext } from '../../src/gateway/track-context.js';
import { createTrustedProxies } from '../../src/track/enrich/index.js';
import { createRequestClient } from '../../src/track/request-client.js';
import { recordEvents, type RecordOptions } from '../../src/track/record.js';
import { textInput } from '../../src/track/routes/track.js';
import type { EventPipeline } from '../../src/track/pipeline.js';
import { eventBody } from '../lib/bodies.mjs';

const N = Number(process.argv[2] ?? 100_000);
const REPS = 5;
const PIXEL_URL = '/img/v1/?campaign=november&uid=u-12345&content=open&source=newsletter&medium=email';
const POST_BODY = JSON.parse(eventBody()) as Record<string, unknown>;
const HEADERS = {
  host: 'www.example.com',
  'user-agent': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'accept-language': 'en-GB,en;q=0.9',
  referer: 'https://www.example.com/products/',
  cookie: '_vid=0190b7c4-8f3a-7c2e-9d4f-3a1b2c3d4e5f; _sid=0190b7c4-9a1b-7d3e-8e5f-4b2c3d4e5f60',
};

let stored = 0;
// Encoding for the spool (prepare) stays out of the loop, as it was when accept did it.
const pipeline: EventPipeline = {
  prepare: (events) => ({ events, records: [] }),
  accept: ({ events }) => {
    stored += events.length;
    return Promise.resolve();
  },
  onAccepted: () => () => undefined,
};
const telemetry = new Telemetry(createLogger('silent'), { defaultMetrics: false });
const config = defaultConfig();
const client = createRequestClient(createTrustedProxies(config.server.trustedProxies, { header: config.server.forwardedHeader }));
const ctx = await buildTrackContext(config, { pipeline, telemetry, client });

const request = (url: string) =>
  ({ resolvedClientIp: null, url, headers: HEADERS, hostname: 'www.example.com', protocol: 'http', socket: { remoteAddress: '81.2.69.142', encrypted: false } }) as unknown as FastifyRequest;
const reply = { header: () => reply } as unknown as FastifyReply;

// A fresh request object per event, as a server makes one per request (the client IP is remembered per request).
const cases: { name: string; request: () => FastifyRequest; input: () => Record<string, unknown>; options: RecordOptions }[] = [
  {
    name: 'pixel',
    request: () => request(PIXEL_URL),
    input: () => textInput(PIXEL_URL, '/img/v1'),
    options: { route: 'pixel', origin: 'pixel', setCookies: false, defaults: { ename: 'open', etyp: 'email' } },
  },
  {
    name: 'post',
    request: () => request('/tr/v1/'),
    // A fresh object per event, as the JSON parser gives each request.
    input: () => structuredClone(POST_BODY),
    options: { route: 'track', origin: 'track', setCookies: true },
  },
];

for (const c of cases) {
  const runs: number[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    const start = process.cpuUsage();
    for (let i = 0; i < N; i++) await recordEvents(ctx, c.request(), reply, [c.input()], c.options);
    const used = process.cpuUsage(start);
    runs.push((used.user + used.system) / N);
  }
  runs.sort((a, b) => a - b);
  console.log(`${c.name}: ${runs[Math.floor(REPS / 2)]?.toFixed(2)} µs CPU/event (reps ${runs.map((r) => r.toFixed(2)).join(' ')})`);
}
if (stored !== cases.length * REPS * N) throw new Error(`stored ${stored} events`);
