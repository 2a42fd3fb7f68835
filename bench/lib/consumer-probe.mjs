// The consumer of Gatehouse (dist/), instrumented: JetStream → decode → batch → DuckDB → ack, exactly as
// `gatehouse consume` runs it, with each sink write timed per event (accepted = `received`, stored = write done).
//   node consumer-probe.mjs prefill CONFIG N      publish N realistic events to the stream (load side)
//   node consumer-probe.mjs drain CONFIG N        consume until N events are stored; report events/s and CPU
//   node consumer-probe.mjs lag CONFIG            consume until SIGTERM; report lag percentiles (accepted → stored)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setInterval, clearInterval } from 'node:timers';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { cpuSeconds } from './proc.mjs';

const dist = (p) => import(pathToFileURL(join(import.meta.dirname, '../../dist', p)).href);
const { loadConfigFile } = await dist('settings/load.js');
const { createLogger } = await dist('telemetry/logger.js');
const { Telemetry } = await dist('telemetry/telemetry.js');
const { createBus } = await dist('bus/index.js');
const { buildStores } = await dist('gateway/stores.js');
const { createConsumer } = await dist('consumer/consumer.js');
const { encodeEvent } = await dist('track/codec.js');
const { uuidv7 } = await dist('track/uuid7.js');

const [mode, configPath, countArg] = process.argv.slice(2);
const config = loadConfigFile(configPath);
const telemetry = new Telemetry(createLogger('warn'), { defaultMetrics: false });
const bus = createBus({ config: config.bus, telemetry });
const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);

/** An event as the gateway stores it after enrichment: about 500 bytes of JSON. */
function sampleEvent(i) {
  return {
    eid: uuidv7(),
    received: new Date().toISOString(),
    origin: 'track',
    ename: 'load/page',
    etyp: 'page',
    vid: '0190b7c4-8f3a-7c2e-9d4f-3a1b2c3d4e5f',
    sid: '0190b7c4-9a1b-7d3e-8e5f-4b2c3d4e5f60',
    url: `https://www.example.com/products/item-${i % 1000}?utm_source=newsletter&utm_medium=email`,
    ref: 'https://www.google.com/',
    ref_host: 'www.google.com',
    channel: 'search',
    host: 'www.example.com',
    ip: '203.0.113.0',
    ua_browser: 'Chrome 126',
    ua_os: 'Mac OS 10.15.7',
    ua_device: 'desktop',
    bot: false,
    culture: 'en-GB',
    source: 'newsletter',
    medium: 'email',
    campaign: 'november',
    w: 1440,
    h: 900,
    params: { plan: 'pro', experiment: 'b', position: String(i % 7) },
  };
}

/**
 * Events per pack (one NATS message), as a gateway under load writes them: the pixel scenario's group commits
 * held ~32 events each (gatehouse_spool_group_records). PACK=1 publishes one message per event.
 */
const PACK = Number(process.env.PACK ?? 32);

async function prefill(n) {
  await bus.start();
  const batch = 512;
  const inFlight = [];
  for (let i = 0; i < n; i += batch) {
    const messages = [];
    for (let j = i; j < Math.min(n, i + batch); j++) {
      const e = sampleEvent(j);
      messages.push({ id: e.eid, data: encodeEvent(e), packEnd: (j + 1) % PACK === 0 });
    }
    inFlight.push(bus.publish(messages));
    if (inFlight.length >= 8) await inFlight.shift();
  }
  await Promise.all(inFlight);
  await bus.close();
  out({ prefilled: n });
}

function timedSinks(sinks, onStored) {
  return sinks.map((sink) => ({
    name: sink.name,
    start: () => sink.start(),
    healthcheck: () => sink.healthcheck(),
    close: () => sink.close(),
    write: async (events) => {
      const t0 = performance.now();
      await sink.write(events);
      onStored(events, Date.now(), performance.now() - t0);
    },
  }));
}

async function consume(n) {
  const { sinks } = await buildStores(config, telemetry, ['duckdb']);
  let stored = 0;
  const lags = [];
  // Sink writes (one DuckDB transaction per batch): how many, and how long the slowest took (a DuckDB checkpoint
  // runs inside the write that crosses its WAL threshold).
  const writes = { count: 0, over250ms: 0, maxMs: 0 };
  let resolveDone;
  const done = new Promise((resolve) => (resolveDone = resolve));
  const timed = timedSinks(sinks, (events, at, ms) => {
    stored += events.length;
    writes.count++;
    if (ms > 250) writes.over250ms++;
    writes.maxMs = Math.max(writes.maxMs, ms);
    if (mode === 'lag') for (const e of events) lags.push(at - Date.parse(e.received));
    if (n && stored >= n) resolveDone();
  });
  const consumer = createConsumer({ config: config.consumer, bus, sinks: timed, telemetry, subject: config.bus.nats.subject });
  for (const s of timed) await s.start();
  await bus.start();
  // Where the memory goes: peaks of V8's heap and of memory outside it (Buffers, and what native code reports).
  const peak = { heapMb: 0, externalMb: 0 };
  const sampleMemory = setInterval(() => {
    const m = process.memoryUsage();
    peak.heapMb = Math.max(peak.heapMb, m.heapTotal / 2 ** 20);
    peak.externalMb = Math.max(peak.externalMb, m.external / 2 ** 20);
  }, 100);
  const cpu0 = cpuSeconds(process.pid);
  const t0 = Date.now();
  await consumer.start();
  if (mode === 'lag') {
    // SIGUSR2 ends a phase (the bench's cold start): its lag percentiles are reported and the count starts again.
    process.on('SIGUSR2', () => {
      out({ phase: { ...percentiles(lags), stored, writes: { ...writes } } });
      lags.length = 0;
      Object.assign(writes, { count: 0, over250ms: 0, maxMs: 0 });
    });
    out({ ready: true });
    const progress = setInterval(() => out({ progress: stored }), 200);
    await new Promise((resolve) => process.once('SIGTERM', resolve));
    clearInterval(progress);
  } else {
    await done;
  }
  const seconds = (Date.now() - t0) / 1000;
  const cpu = cpuSeconds(process.pid) - cpu0;
  clearInterval(sampleMemory);
  await consumer.close();
  await bus.close();
  for (const s of timed) await s.close();
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  out({ rssMb: hwm ? Number(hwm[1]) / 1024 : NaN, heapMb: peak.heapMb, externalMb: peak.externalMb, stored, seconds, eps: stored / seconds, cpuUsPerEvent: (cpu * 1e6) / Math.max(1, stored), ...percentiles(lags), writes });
  process.exit(0);
}

function percentiles(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const pct = (p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);
  return { count: sorted.length, p50: pct(50), p99: pct(99), max: sorted.at(-1) ?? NaN };
}

if (mode === 'prefill') await prefill(Number(countArg));
else await consume(mode === 'drain' ? Number(countArg) : 0);
