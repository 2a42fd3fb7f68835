// The soak: the gateway under pixel + POST load for a long time (10 minutes by default) with `gatehouse consume`
// storing what it forwards, both sampled for RSS and V8 heap used. Growth after the warm-up fails the run.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { median } from './measure.mjs';
import { metrics, waitMetrics } from './servers.mjs';
import { rssMb, startPinned, stop, waitPort } from './proc.mjs';
import { freePort } from './ports.mjs';
import { runWrk } from './wrk.mjs';

/** The most growth allowed between the two halves after the warm-up (issue 28: 10%). */
export const SOAK_MAX_GROWTH = 0.1;

/** `--duration=10m` / `--duration 10m` (s, m, h; a bare number is seconds), or undefined. */
export function durationArg(argv) {
  const i = argv.findIndex((a) => a === '--duration' || a.startsWith('--duration='));
  if (i < 0) return undefined;
  const text = argv[i].includes('=') ? argv[i].slice(11) : argv[i + 1];
  const m = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(text ?? '');
  if (!m) throw new Error(`--duration: "${text}" is not a duration (30s, 10m, 1h)`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] ?? 's'];
}

/**
 * Growth of one measure (`rssMb`, `heapMb`) over samples [{ s, [measure] }]: the first fifth is the warm-up (JIT,
 * V8 sizing its young generation, caches filling), then the median of the second half of the rest against the
 * median of its first half. Medians of windows, not single samples: under load RSS and heap are a sawtooth
 * (the heap grows between collections), and single samples swing by ±20% while a leak moves the whole window.
 */
export function growth(samples, measure) {
  const rest = samples.slice(Math.floor(samples.length / 5)).filter((x) => Number.isFinite(x[measure]));
  if (rest.length < 4) return undefined;
  const half = Math.floor(rest.length / 2);
  const [first, second] = [rest.slice(0, half), rest.slice(half)];
  const early = median(first.map((x) => x[measure]));
  const late = median(second.map((x) => x[measure]));
  return {
    early,
    late,
    ratio: late / early,
    ok: late <= early * (1 + SOAK_MAX_GROWTH),
    firstWindow: [first[0].s, first.at(-1).s],
    secondWindow: [second[0].s, second.at(-1).s],
    min: Math.min(...rest.map((x) => x[measure])),
    max: Math.max(...rest.map((x) => x[measure])),
  };
}

/**
 * What the soak judges (issue 28): RSS and V8 heap used, of the gateway and of the consumer. The consumer's DuckDB
 * memory (`gatehouse_duckdb_memory_bytes`) is shown beside it, not judged: its buffer pool fills with the growing
 * table up to `sinks.duckdb.memoryLimit`, and the RSS outside it says how much of a growth that explains.
 */
export function judgeSoak(gateway, consumer = []) {
  const out = [];
  for (const [proc, samples] of [['gateway', gateway], ['consumer', consumer]]) {
    for (const [measure, name] of [['rssMb', 'RSS'], ['heapMb', 'heap used']]) {
      const g = growth(samples, measure);
      if (g) out.push({ proc, name, g, ok: g.ok });
    }
  }
  return out;
}

/** Logs each judged measure; returns the failed ones' lines. */
export function logJudged(judged, log) {
  const failed = [];
  for (const j of judged) {
    const text = `${j.proc} ${j.name}: median ${j.g.early.toFixed(0)} MB (${j.g.firstWindow.join('–')} s) → ${j.g.late.toFixed(0)} MB (${j.g.secondWindow.join('–')} s), ${((j.g.ratio - 1) * 100).toFixed(1)}%`;
    log(`  ${text}${j.ok ? '' : ' FAILED'}`);
    if (!j.ok) failed.push(text);
  }
  return failed;
}

/** One process's RSS (the largest of its tree: per worker) and V8 heap used from its own /metrics. */
async function sample(pid, metricsPort) {
  const m = await metrics(metricsPort).catch(() => ({}));
  const mb = (bytes) => (bytes === undefined ? NaN : bytes / 2 ** 20);
  // Heap used is what a leak of JS objects raises; heap total (what V8 has committed) and external memory
  // (Buffers, native) say where RSS outside the used heap went.
  // DuckDB's own accounting (the consumer's store): its buffer pool fills with the stored table up to
  // sinks.duckdb.memoryLimit, which RSS shows as growth; RSS outside it is what a leak would raise.
  const rss = Math.max(0, ...rssMb(pid));
  const duckdbMb = mb(m.gatehouse_duckdb_memory_bytes);
  return { rssMb: rss, heapMb: mb(m.nodejs_heap_size_used_bytes), heapTotalMb: mb(m.nodejs_heap_size_total_bytes), externalMb: mb(m.nodejs_external_memory_bytes), duckdbMb, outsideDuckDbMb: rss - duckdbMb };
}

/**
 * Runs the soak: `startGatehouse` gives the gateway (NATS bus); `gatehouse consume` with the same config stores
 * into DuckDB on the load core. Returns the result for the report, with `failed` listing what grew.
 */
export async function runSoak({ dir, seconds, startGatehouse, gatehouseOpts, sutCore, loadCore, root, pixelPath, scripts, log, consumerFlags = [], duckdbMemory }) {
  const consumerMetricsPort = await freePort();
  // --duckdb-memory: the consumer's sinks.duckdb.memoryLimit, when not the default (a small one fills within the
  // warm-up, so the run shows what RSS does once DuckDB's pool is at its bound).
  const duckdb = duckdbMemory ? { memoryLimit: duckdbMemory } : {};
  const gh = await startGatehouse(join(dir, 'gateway'), sutCore, { ...gatehouseOpts, duckdb, extra: { consumer: { metrics: { port: consumerMetricsPort } } } });
  const config = join(dir, 'gateway', 'gatehouse.json');
  const consumer = startPinned(loadCore, process.execPath, [...consumerFlags, join(root, 'dist/cli.js'), 'consume', '--config', config], { logFile: join(dir, 'consumer.log') });
  try {
    await waitPort(consumerMetricsPort, { child: consumer });
    await waitMetrics(consumerMetricsPort, (m) => m.nodejs_heap_size_used_bytes > 0);
    const every = Math.max(1, Math.min(5, seconds / 60));
    log(`  ${seconds} s, sampled every ${every} s; growth judged after the first ${Math.round(seconds / 5)} s`);
    const t0 = Date.now();
    const loads = [
      runWrk({ url: `${gh.base}${pixelPath}`, script: scripts.get, seconds, connections: 20 }),
      runWrk({ url: `${gh.base}/tr/v1/`, script: scripts.post, seconds, connections: 20 }),
    ];
    const samples = { gateway: [], consumer: [] };
    let lastLog = 0;
    while (Date.now() - t0 < seconds * 1000) {
      await sleep(every * 1000);
      const s = Math.round((Date.now() - t0) / 1000);
      const [g, c] = await Promise.all([sample(gh.pid, gh.adminPort), sample(consumer.pid, consumerMetricsPort)]);
      samples.gateway.push({ s, ...g });
      samples.consumer.push({ s, ...c });
      if (s - lastLog >= Math.min(60, seconds / 10) || s >= seconds) {
        lastLog = s;
        const duck = (x) => (Number.isFinite(x.duckdbMb) ? `, DuckDB ${x.duckdbMb.toFixed(0)} MB` : '');
        const line = (x) => `RSS ${x.rssMb.toFixed(0)} MB, heap used ${x.heapMb.toFixed(0)} of ${x.heapTotalMb.toFixed(0)} MB, external ${x.externalMb.toFixed(0)} MB${duck(x)}`;
        log(`  ${s} s: gateway ${line(g)}; consumer ${line(c)}`);
      }
    }
    const [pixel, post] = await Promise.all(loads);
    const gm = await metrics(gh.adminPort);
    const cm = await metrics(consumerMetricsPort);
    const judged = judgeSoak(samples.gateway, samples.consumer);
    const failed = logJudged(judged, log);
    // Shown, not judged: how much of the consumer's RSS growth DuckDB's buffer pool explains.
    const outside = growth(samples.consumer, 'outsideDuckDbMb');
    const duckPeak = Math.max(...samples.consumer.map((x) => x.duckdbMb).filter(Number.isFinite));
    if (outside) log(`  consumer RSS outside DuckDB's buffer pool: median ${outside.early.toFixed(0)} MB → ${outside.late.toFixed(0)} MB, ${((outside.ratio - 1) * 100).toFixed(1)}%; DuckDB's pool peaked at ${duckPeak.toFixed(0)} MB (not judged)`);
    return {
      consumerOutsideDuckDb: outside,
      title: `10. Soak: ${seconds} s of mixed load, gateway and consumer`,
      seconds,
      // `samples`/`rssMb`: the gateway's, as in earlier runs' results.
      samples: samples.gateway,
      consumerSamples: samples.consumer,
      rssMb: Math.max(...samples.gateway.map((x) => x.rssMb)),
      consumerRssMb: Math.max(...samples.consumer.map((x) => x.rssMb)),
      rps: pixel.rps + post.rps,
      bad: pixel.bad + post.bad + pixel.socketErrors + post.socketErrors,
      accepted: gm.gatehouse_event_accepted_total ?? 0,
      stored: cm.gatehouse_consumer_events_stored_total,
      judged,
      failed,
    };
  } finally {
    await stop(consumer, 30_000);
    await gh.stop();
  }
}
