// The benchmark suite (npm run bench [-- --quick] [-- --only=pixel,post,...]): Gatehouse against nginx, Caddy
// and bare Fastify in the same run, on the same pinned cores. Writes bench/RESULTS.md. See bench/README.md.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startPinned, stop, stopAll, waitPort, cpuSeconds, peakRssMb, resetPeakRss, rssMb } from './lib/proc.mjs';
import { freePort } from './lib/ports.mjs';
import { startNatsCluster } from './lib/nats.mjs';
import { upstreamConf } from './lib/peers.mjs';
import { wrkScript } from './lib/wrk.mjs';
import { compare, median } from './lib/measure.mjs';
import { eventBody, pageViewBatch } from './lib/bodies.mjs';
import { startGatehouse, startNginx, startCaddy, startBareFastify, metrics, queueing, startupFlags } from './lib/servers.mjs';
import { revision, writeResults } from './lib/report.mjs';
import { consumersScenario } from './lib/consumers-scenario.mjs';
import { onJsonLines } from './lib/json-lines.mjs';
import { poll } from './lib/poll.mjs';
import { durationArg, SOAK_MAX_GROWTH } from './lib/soak.mjs';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const only = (argv.find((a) => a.startsWith('--only=')) ?? '').slice(7).split(',').filter(Boolean);
// The soak runs 10 minutes (issue 28) unless --duration says otherwise (a short run checks the machinery).
const P = quick
  ? { seconds: 3, warmSeconds: 1, reps: 1, consumerEvents: 20_000, consumersEvents: 100_000, lagColdSeconds: 2, lagSeconds: 5, soakSeconds: durationArg(argv) ?? 20 }
  : { seconds: 10, warmSeconds: 3, reps: 3, consumerEvents: 200_000, consumersEvents: 400_000, lagColdSeconds: 5, lagSeconds: 30, soakSeconds: durationArg(argv) ?? 600 };
const SUT = '0'; // the core of the server under test
const LOAD = '1'; // wrk, upstreams, NATS, the lag scenario's consumer
const ROOT = join(import.meta.dirname, '..');
// The V8 flags `consume` starts with (as the image and the systemd unit do): the consumer probes get them too.
const CONSUMER_FLAGS = await startupFlags(ROOT);
const log = (s) => process.stdout.write(`${s}\n`);
const want = (name) => only.length === 0 || only.includes(name);
// --baseline=<dir>: another checkout with a built dist/ (an older commit), run as one more target of the
// request scenarios, interleaved with the others: a before/after from the same run.
// --baseline-node-args="...": flags for that target alone (--baseline=. compares two V8 settings of one build).
// Resolved here, against the checkout (run.sh starts in it): each server starts in its own scenario directory.
const baselineArg = argv.find((a) => a.startsWith('--baseline='))?.slice(11);
const baseline = baselineArg ? resolve(baselineArg) : undefined;
const baselineNodeArgs = (argv.find((a) => a.startsWith('--baseline-node-args='))?.slice(21) ?? '').split(' ').filter(Boolean);

const work = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
// nginx workers run as an unprivileged user: they must be able to read the files served from here.
chmodSync(work, 0o755);
const results = { quick, params: P, revision: revision(), startedAt: new Date().toISOString(), scenarios: {}, loadBefore: loadavg() };
process.on('SIGINT', () => void stopAll().then(() => process.exit(130)));
process.on('uncaughtException', (err) => {
  console.error(err);
  void stopAll().then(() => process.exit(1));
});

function loadavg() {
  return execFileSync('cat', ['/proc/loadavg']).toString().split(' ').slice(0, 3).join(' ');
}

function setup() {
  const www = join(work, 'www');
  mkdirSync(join(www, 'bench'), { recursive: true });
  writeFileSync(join(www, 'bench', '10k.html'), `<!doctype html><title>bench</title><p>${'lorem ipsum '.repeat(850)}`.slice(0, 10 * 1024));
  const cert = join(work, 'cert.pem');
  const key = join(work, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost', '-days', '2'], { stdio: 'ignore' });
  const scripts = join(work, 'scripts');
  mkdirSync(scripts);
  const batch = pageViewBatch();
  return {
    www,
    cert,
    key,
    get: wrkScript(scripts, 'get', {}),
    close: wrkScript(scripts, 'close', { close: true }),
    post: wrkScript(scripts, 'post', { method: 'POST', body: eventBody(), headers: { 'Content-Type': 'application/json' } }),
    postBatch: wrkScript(scripts, 'post-batch', { method: 'POST', body: batch, headers: { 'Content-Type': 'application/json' } }),
    postBatchEvents: JSON.parse(batch).length,
  };
}

const PIXEL = '/img/v1/?campaign=november&uid=u-12345&content=open&source=newsletter&medium=email';
const REDIRECT = `/rdr/v1/?url=${encodeURIComponent('https://example.com/landing?id=42')}&campaign=november&uid=u-12345`;

/** A scenario with Gatehouse and its peers, each started fresh (peak RSS is the scenario's). */
async function scenario(key, title, { gatehouse, peers, path, script, tls = false }) {
  if (!want(key)) return;
  log(`\n${title}`);
  const dir = join(work, key);
  const gh = await startGatehouse(join(dir, 'gatehouse'), SUT, gatehouse);
  const started = [gh];
  const targets = [{ name: 'gatehouse', pid: gh.pid, url: tls ? `https://localhost:${gh.tlsPort}${path}` : `${gh.base}${path}`, script }];
  if (baseline) {
    const b = await startGatehouse(join(dir, 'baseline'), SUT, { ...gatehouse, root: baseline, nodeArgs: baselineNodeArgs });
    started.push(b);
    targets.push({ name: 'gatehouse (baseline)', pid: b.pid, url: tls ? `https://localhost:${b.tlsPort}${path}` : `${b.base}${path}`, script });
  }
  // --gatehouse-only: no peers (for profiling Gatehouse with BENCH_NODE_ARGS=--cpu-prof).
  for (const [name, start] of argv.includes('--gatehouse-only') ? [] : peers) {
    const peerDir = join(dir, name.replace(/\W+/g, '-'));
    mkdirSync(peerDir, { recursive: true });
    const s = await start(peerDir);
    started.push(s);
    targets.push({ name, pid: s.pid, url: tls ? `https://localhost:${s.tlsPort}${path}` : `${s.base}${path}`, script });
  }
  try {
    const rows = await compare(targets, { ...P, log });
    const m = await metrics(gh.adminPort);
    results.scenarios[key] = { title, rows, gatehouse: pickMetrics(m) };
  } finally {
    for (const s of started) await s.stop();
  }
}

function pickMetrics(m) {
  return {
    accepted: m.gatehouse_event_accepted_total ?? 0,
    rejected: m.gatehouse_event_rejected_total ?? 0,
    spoolPending: m.gatehouse_spool_pending_records ?? 0,
    forwarded: m.gatehouse_spool_forwarded_total ?? 0,
  };
}

async function consumerScenario(nats, files) {
  if (!want('consumer')) return;
  log('\n7. consumer: JetStream → DuckDB');
  const runs = [];
  for (let r = 0; r < P.reps; r++) {
    const dir = join(work, 'consumer', `r${r}`);
    mkdirSync(dir, { recursive: true });
    const { gatehouseConf } = await import('./lib/peers.mjs');
    const stream = { stream: `CONSUME${r}`, subject: `bench.consume${r}.events`, deadLetterSubject: `bench.consume${r}.dead` };
    const config = gatehouseConf(dir, { port: 1, adminPort: 2, upstreamPort: 3, www: files.www, nats: { urls: nats.urls, stream } });
    const probe = join(import.meta.dirname, 'lib/consumer-probe.mjs');
    const filled = await runJson(LOAD, [probe, 'prefill', config, String(P.consumerEvents)]);
    log(`  prefilled ${filled.prefilled}`);
    const res = await runJson(SUT, [...CONSUMER_FLAGS, probe, 'drain', config, String(P.consumerEvents)]);
    log(`  rep ${r + 1}: ${res.eps.toFixed(0)} events/s, ${res.cpuUsPerEvent.toFixed(1)} µs CPU/event, RSS ${res.rssMb?.toFixed(0)} MB (peak V8 heap ${res.heapMb?.toFixed(0)} MB, outside it ${res.externalMb?.toFixed(0)} MB)`);
    runs.push(res);
  }
  results.scenarios.consumer = {
    title: '7. Consumer alone: JetStream (R3) → DuckDB',
    eps: median(runs.map((r) => r.eps)),
    cpuUs: median(runs.map((r) => r.cpuUsPerEvent)),
    rssMb: Math.max(...runs.map((r) => r.rssMb ?? 0)),
    runs,
  };
}

function runJson(core, args, { onLine } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn('taskset', ['-c', core, process.execPath, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let last;
    onJsonLines(child.stdout, (line) => {
      last = line;
      onLine?.(last, child);
    });
    child.on('exit', (code) => (code === 0 && last ? resolve(last) : reject(new Error(`${args.filter((a) => !a.startsWith('--')).slice(0, 2).join(' ')} exited ${code}`))));
  });
}

async function lagScenario(nats, files) {
  if (!want('lag')) return;
  log('\n8. end-to-end lag at 5,000 events/s');
  const dir = join(work, 'lag');
  const stream = { stream: 'LAG', subject: 'bench.lag.events', deadLetterSubject: 'bench.lag.dead' };
  const gh = await startGatehouse(join(dir, 'gatehouse'), SUT, { upstreamPort: files.upstreamPort, www: files.www, nats: { urls: nats.urls, stream } });
  const probePath = join(import.meta.dirname, 'lib/consumer-probe.mjs');
  let probeChild;
  let stored = 0;
  let isReady;
  const ready = new Promise((resolve) => (isReady = resolve));
  let coldPhase;
  const done = runJson(LOAD, [...CONSUMER_FLAGS, probePath, 'lag', join(dir, 'gatehouse', 'gatehouse.json')], {
    onLine: (o, child) => {
      probeChild = child;
      if (o.ready) isReady();
      if (o.progress !== undefined) stored = o.progress;
      if (o.phase) coldPhase = o.phase;
    },
  });
  await Promise.race([ready, done]);
  const rateLoad = (seconds) => runJson(LOAD, [join(import.meta.dirname, 'lib/rate-load.mjs'), `${gh.base}/tr/v1/`, '5000', String(seconds)]);
  const untilStored = (n) => poll(() => stored >= n, 60_000);
  // Cold start: the fresh gateway and consumer take the rate at once, with no warm-up. It is reported on its own
  // (how long until the JIT-warmed code keeps up); the measured run follows, as every other scenario's follows a warm-up.
  const coldLoad = await rateLoad(P.lagColdSeconds);
  await untilStored(coldLoad.ok);
  process.kill(probeChild.pid, 'SIGUSR2');
  if (!(await poll(() => coldPhase !== undefined, 30_000))) throw new Error('the consumer probe never reported the cold-start phase');
  // Its peak RSS is the cold start's (the backlog's requests in memory); the measured run's peak starts again here.
  const cold = { load: coldLoad, lag: coldPhase, seconds: P.lagColdSeconds, rssMb: peakRssMb(gh.pid) };
  resetPeakRss(gh.pid);
  log(`  cold start (${P.lagColdSeconds} s): HTTP p99 ${coldLoad.p99.toFixed(0)} ms, requests waited over 100 ms until ${coldLoad.slowUntil} s; lag p99 ${coldPhase.p99} ms; peak RSS ${cold.rssMb.toFixed(0)} MB`);
  const stored0 = stored;
  const inside0 = await queueing(gh.adminPort);
  const cpu0 = cpuSeconds(gh.pid);
  const load = await rateLoad(P.lagSeconds);
  const cpu = cpuSeconds(gh.pid) - cpu0;
  await untilStored(stored0 + load.ok);
  process.kill(probeChild.pid, 'SIGTERM');
  const lag = await done;
  const rss = peakRssMb(gh.pid);
  const inside = await queueing(gh.adminPort, inside0);
  await gh.stop();
  log(`  sent ${load.sent} (${load.rate.toFixed(0)}/s), ok ${load.ok}; lag p50 ${lag.p50} ms, p99 ${lag.p99} ms, max ${lag.max} ms`);
  log(`  sink writes: ${lag.writes.count}, ${lag.writes.over250ms} over 250 ms, the slowest ${lag.writes.maxMs.toFixed(0)} ms`);
  // The floor for the same arrivals: bare Fastify answering the POSTs with no work, at the same fixed rate. Under
  // steady arrivals every request wakes an idle server on its own, which costs far more CPU than under wrk.
  mkdirSync(join(dir, 'bare'), { recursive: true });
  const bf = await startBareFastify(join(dir, 'bare'), SUT, { upstreamPort: files.upstreamPort });
  const bareCpu0 = cpuSeconds(bf.pid);
  const bareLoad = await runJson(LOAD, [join(import.meta.dirname, 'lib/rate-load.mjs'), `${bf.base}/tr/v1/`, '5000', String(P.seconds)]);
  const bare = { ...bareLoad, cpuUs: ((cpuSeconds(bf.pid) - bareCpu0) * 1e6) / Math.max(1, bareLoad.ok), rssMb: peakRssMb(bf.pid) };
  await bf.stop();
  log(`  bare fastify at the same rate: ${bare.cpuUs.toFixed(1)} CPU µs/request, HTTP p99 ${bare.p99.toFixed(1)} ms`);
  // The sink's checkpoint threshold sets the longest write pauses, so the report names the one this run used.
  const { CHECKPOINT_THRESHOLD: checkpointThreshold } = await import(join(ROOT, 'dist/sinks/duckdb/database.js'));
  results.scenarios.lag = { title: '8. End-to-end lag (accepted → in DuckDB) at 5,000 events/s', cold, load, lag, cpuUs: (cpu * 1e6) / Math.max(1, load.ok), rssMb: rss, bare, inside, checkpointThreshold };
}

async function workersScenario(nats, files) {
  if (!want('workers')) return;
  log('\n9. multi-core: event POST with 1 and 2 workers (server and wrk on both cores)');
  // Both run at once and their repetitions interleave, as in the other scenarios, so a slow moment of the machine
  // hits both alike. JIT warm-up is per process: two workers get twice the warm-up, the same requests each.
  const started = [];
  try {
    for (const workers of [1, 2]) {
      const dir = join(work, 'workers', `w${workers}`);
      const stream = { stream: `WORKERS${workers}`, subject: `bench.workers${workers}.events`, deadLetterSubject: `bench.workers${workers}.dead` };
      started.push({ workers, gh: await startGatehouse(dir, '0,1', { upstreamPort: files.upstreamPort, www: files.www, nats: { urls: nats.urls, stream }, workers }) });
    }
    const target = ({ workers, gh }, batch) => ({
      name: `${workers} worker${workers > 1 ? 's' : ''}${batch ? `, ${files.postBatchEvents}-event batches` : ''}`,
      workers,
      eventsPerRequest: batch ? files.postBatchEvents : 1,
      pid: gh.pid,
      url: `${gh.base}/tr/v1/`,
      script: batch ? files.postBatch : files.post,
      wrkCore: '0,1',
      connections: 100,
      warmSeconds: P.warmSeconds * workers,
    });
    // The targets are judged on single-event POSTs; the 2-worker server also takes track.js's first page view
    // (three events in one POST), which is how browsers send, for sizing.
    const targets = [target(started[0], false), target(started[1], false), target(started[1], true)];
    const rows = await compare(targets, { ...P, log });
    rows.forEach((row, i) => {
      const t = targets[i];
      row.workers = t.workers;
      row.eventsPerRequest = t.eventsPerRequest;
      row.rssMb = Math.max(...rssMb(t.pid), row.rssMb);
    });
    results.scenarios.workers = { title: '9. Multi-core: durable event POSTs on 2 cores (NATS pipeline)', rows };
  } finally {
    for (const { gh } of started) await gh.stop();
  }
}

async function soakScenario(nats, files) {
  if (!want('soak')) return;
  log(`\n10. soak: ${P.soakSeconds} s of pixel + POST load, gateway and consumer sampled (RSS, heap used)`);
  const { runSoak } = await import('./lib/soak.mjs');
  const soak = await runSoak({
    dir: join(work, 'soak'),
    seconds: P.soakSeconds,
    startGatehouse,
    gatehouseOpts: { upstreamPort: files.upstreamPort, www: files.www, nats: { urls: nats.urls, stream: { stream: 'SOAK', subject: 'bench.soak.events', deadLetterSubject: 'bench.soak.dead' } } },
    sutCore: SUT,
    loadCore: LOAD,
    root: ROOT,
    pixelPath: PIXEL,
    scripts: files,
    log,
    consumerFlags: CONSUMER_FLAGS,
    duckdbMemory: argv.find((a) => a.startsWith('--duckdb-memory='))?.slice(16),
  });
  results.scenarios.soak = soak;
  log(`  ${soak.rps.toFixed(0)} req/s, ${soak.bad} errors; events accepted ${soak.accepted}, stored by the consumer ${soak.stored}`);
  if (!soak.failed.length) return;
  // A quick run's 20 s soak is a smoke test of the scenario: its halves still hold the processes' warm-up.
  if (quick && durationArg(argv) === undefined) {
    log(`  grew more than ${SOAK_MAX_GROWTH * 100}%: ${soak.failed.join(', ')}; not judged in a ${P.soakSeconds} s quick run (without --quick, or with --duration=, it is)`);
    return;
  }
  log(`  SOAK FAILED: ${soak.failed.join(', ')} (more than ${SOAK_MAX_GROWTH * 100}% after the warm-up)`);
  process.exitCode = 1;
}

async function main() {
  const files = setup();
  log(`work dir ${work}; load average ${results.loadBefore}`);
  results.probe = await runJson(SUT, [join(import.meta.dirname, 'lib/machine-probe.mjs'), LOAD]);
  log(`machine: a cross-core round trip costs ${results.probe.wake.backToBack.cpuUs.toFixed(0)} CPU µs back to back, ${results.probe.wake.idle1ms.cpuUs.toFixed(0)} after 1 ms idle`);
  const upstreamPort = await freePort();
  files.upstreamPort = upstreamPort;
  const upDir = join(work, 'upstream');
  mkdirSync(upDir, { recursive: true });
  const upstream = startPinned(LOAD, 'nginx', ['-p', upDir, '-e', join(upDir, 'error.log'), '-c', upstreamConf(upDir, { port: upstreamPort, root: join(upDir, 'root') })]);
  await waitPort(upstreamPort, { child: upstream });
  const nats = await startNatsCluster(join(work, 'nats'), LOAD);
  log(`NATS cluster: ${nats.urls.join(' ')}`);
  const base = { upstreamPort, www: files.www };
  const gh = { ...base, nats: { urls: nats.urls } };
  const nginx = ['nginx', (dir) => startNginx(dir, SUT, { upstreamPort, www: files.www, cert: files.cert, key: files.key })];
  const caddy = ['caddy', (dir) => startCaddy(dir, SUT, { upstreamPort })];
  const bare = ['bare fastify', (dir) => startBareFastify(dir, SUT, { upstreamPort })];
  const bareTls = ['bare fastify', (dir) => startBareFastify(dir, SUT, { upstreamPort, tls: { cert: files.cert, key: files.key } })];
  try {
    await scenario('pixel', '1. Email pixel through the full pipeline (NATS R3)', { gatehouse: gh, peers: [nginx, bare], path: PIXEL, script: files.get });
    await scenario('post', '2. JSON event POST (~500 B) through the full pipeline (NATS R3)', { gatehouse: gh, peers: [nginx, bare], path: '/tr/v1/', script: files.post });
    await scenario('redirect', '3. Tracked redirect (302) through the full pipeline', { gatehouse: gh, peers: [nginx, bare], path: REDIRECT, script: files.get });
    await scenario('proxy1k', '4a. Reverse proxy, 1 KB response', { gatehouse: gh, peers: [nginx, caddy, bare], path: '/up/1k', script: files.get });
    await scenario('proxy100k', '4b. Reverse proxy, 100 KB response', { gatehouse: gh, peers: [nginx, caddy, bare], path: '/up/100k', script: files.get });
    await scenario('static', '5. Static 10 KB file', { gatehouse: gh, peers: [nginx], path: '/bench/10k.html', script: files.get });
    await scenario('tls', '6. TLS: a new connection per request (handshake + pixel)', {
      gatehouse: { ...gh, tls: { cert: files.cert, key: files.key } },
      peers: [nginx, bareTls],
      path: PIXEL,
      script: files.close,
      tls: true,
    });
    await consumerScenario(nats, files);
    if (want('consumers')) results.scenarios.consumers = await consumersScenario({ nats, files, work, runJson, P, sut: SUT, load: LOAD, log, nodeArgs: CONSUMER_FLAGS });
    await lagScenario(nats, files);
    await workersScenario(nats, files);
    await soakScenario(nats, files);
  } finally {
    await nats.stop();
    await stop(upstream);
    await stopAll();
  }
  results.loadAfter = loadavg();
  results.finishedAt = new Date().toISOString();
  const out = argv.find((a) => a.startsWith('--out='))?.slice(6) ?? join(ROOT, 'bench', quick ? 'RESULTS.quick.md' : 'RESULTS.md');
  // A full run into the repository keeps its raw numbers beside RESULTS.md: `node bench/lib/report.mjs
  // bench/results.json` renders it again (after an edit to ANALYSIS.md, say). Written before the report, so the
  // numbers survive a report that fails.
  const intoRepository = !quick && only.length === 0 && out === join(ROOT, 'bench', 'RESULTS.md');
  const raw = intoRepository ? join(ROOT, 'bench', 'results.json') : join(work, 'results.json');
  writeFileSync(raw, JSON.stringify(results, null, 2));
  writeResults(out, results);
  log(`\nwrote ${out} (raw: ${raw})`);
  if (!argv.includes('--keep')) rmSync(join(work, 'nats'), { recursive: true, force: true });
}

main().catch(async (err) => {
  console.error(err);
  await stopAll();
  process.exit(1);
});
