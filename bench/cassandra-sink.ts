// CPU of the Cassandra sink's write path per event, without a cluster: `npx tsx bench/cassandra-sink.ts`.
// The sink's writeEvents runs against test/cassandra-driver-fake.ts, which builds every request frame with the
// driver's own code (execution options, encoder, request writers) and counts requests, statements and mutations.
// Not measured: the socket, the server's answers and their decoding, the driver's request handler and pool.
import { writeEvents } from '../src/sinks/cassandra/write-events.js';
import { driverFake } from '../test/cassandra-driver-fake.js';
import { sampleBatch } from '../test/helpers/cassandra-batch.js';

const BATCH = Number(process.env.BATCH ?? 2000); // consumer.batchSize's default
const BATCHES = Number(process.env.BATCHES ?? 25);
const VISITORS = Number(process.env.VISITORS ?? 200);

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
await writeEvents(counted, sampleBatch(BATCH, VISITORS), 86_400);
const per = (n: number) => (n / BATCH).toFixed(3);
const c = counted.count;
console.log(`batch ${BATCH} events, ${VISITORS} visitors: per event ${per(c.requests)} requests, ${per(c.statements)} statements, ${per(c.mutations)} mutations, ${per(c.partitionsRead)} partitions read in ${c.reads} reads`);
for (let round = 0; round < 3; round++) {
  const sink = await run(false, 86_400);
  const driver = await run(true, 86_400);
  console.log(`round ${round + 1}: sink alone ${sink.usPerEvent.toFixed(1)} µs/event, sink + driver encoding ${driver.usPerEvent.toFixed(1)} µs/event`);
}
