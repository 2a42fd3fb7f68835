// CPU of the Cassandra sink's write path per event, without a cluster: `npx tsx bench/cassandra-sink.ts`.
// The sink's writeEvents runs against test/cassandra-driver-fake.ts, which builds every request frame with the
// driver's own code (execution options, encoder, request writers) and counts requests, statements and mutations.
// Not measured: the socket, the server's answers and their decoding, the driver's request handler and pool.
import { randomUUID } from 'node:crypto';
import type { TrackEvent } from '../src/track/event.js';
import { writeEvents } from '../src/sinks/cassandra/write-events.js';
import { driverFake } from '../test/cassandra-driver-fake.js';

const BATCH = Number(process.env.BATCH ?? 2000); // consumer.batchSize's default
const BATCHES = Number(process.env.BATCHES ?? 25);
const VISITORS = Number(process.env.VISITORS ?? 200);

/** A consumer batch: VISITORS visitors with one session each, 4 hosts, 100 URLs, ~500-byte events, one day. */
export function sampleBatch(n = BATCH, visitors = VISITORS, start = Date.now()): TrackEvent[] {
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

async function run(encode: boolean, ttl: number): Promise<{ usPerEvent: number }> {
  const fake = driverFake({ encode });
  const batches = Array.from({ length: BATCHES + 5 }, (_, i) => sampleBatch(BATCH, VISITORS, Date.now() + i * BATCH));
  for (const b of batches.slice(0, 5)) await writeEvents(fake, b, ttl); // warm-up (JIT)
  const cpu = process.cpuUsage();
  for (const b of batches.slice(5)) await writeEvents(fake, b, ttl);
  const used = process.cpuUsage(cpu);
  return { usPerEvent: (used.user + used.system) / (BATCHES * BATCH) };
}

const counted = driverFake();
await writeEvents(counted, sampleBatch(), 86_400);
const per = (n: number) => (n / BATCH).toFixed(3);
const c = counted.count;
console.log(`batch ${BATCH} events, ${VISITORS} visitors: per event ${per(c.requests)} requests, ${per(c.statements)} statements, ${per(c.mutations)} mutations, ${per(c.partitionsRead)} partitions read in ${c.reads} reads`);
for (let round = 0; round < 3; round++) {
  const sink = await run(false, 86_400);
  const driver = await run(true, 86_400);
  console.log(`round ${round + 1}: sink alone ${sink.usPerEvent.toFixed(1)} µs/event, sink + driver encoding ${driver.usPerEvent.toFixed(1)} µs/event`);
}
