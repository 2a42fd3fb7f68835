// Scenario 11: horizontal consumers. N `consume` processes share one durable JetStream consumer (each with a store of
// its own: DuckDB is one file per process; with Cassandra they would share the cluster, through the same code path).
// A backlog of `events` is drained once by one consumer and once by two, repetitions interleaved; each consumer is the
// instrumented probe (consumer-probe.mjs, mode `lag`: consume until SIGTERM, reporting progress).
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { gatehouseConf } from './peers.mjs';
import { median } from './measure.mjs';
import { onJsonLines } from './json-lines.mjs';
import { poll } from './poll.mjs';

const PROBE = join(import.meta.dirname, 'consumer-probe.mjs');

/** Starts one probe pinned to `core`; `progress()` is its stored count so far, `stop()` its final report. */
function startProbe(core, config, nodeArgs = []) {
  const child = spawn('taskset', ['-c', core, process.execPath, ...nodeArgs, PROBE, 'lag', config], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stored = 0;
  let ready = false;
  let last;
  onJsonLines(child.stdout, (line) => {
    last = line;
    if (line.ready) ready = true;
    if (typeof line.progress === 'number') stored = line.progress;
  });
  const exited = new Promise((resolve, reject) => child.on('exit', (code) => (code === 0 && last ? resolve(last) : reject(new Error(`consumer probe exited ${code}`)))));
  return {
    ready: () => ready,
    progress: () => stored,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

async function until(what, ok, timeoutMs) {
  if (!(await poll(ok, timeoutMs))) throw new Error(`timed out waiting for ${what}`);
}

/** One drain of `events` by `cores.length` consumers: wall-clock events/s and CPU µs per event over all of them. */
async function drain({ nats, files, work, runJson, load, log, nodeArgs }, name, cores, events) {
  const stream = { stream: name.toUpperCase(), subject: `bench.${name}.events`, deadLetterSubject: `bench.${name}.dead` };
  const configs = cores.map((_, i) => {
    const dir = join(work, 'consumers', name, `c${i}`);
    mkdirSync(dir, { recursive: true });
    return gatehouseConf(dir, { port: 1, adminPort: 2, upstreamPort: 3, www: files.www, nats: { urls: nats.urls, stream } });
  });
  await runJson(load, [PROBE, 'prefill', configs[0], String(events)]);
  const probes = cores.map((core, i) => startProbe(core, configs[i], nodeArgs));
  const total = () => probes.reduce((n, p) => n + p.progress(), 0);
  await until('the consumers to start', () => probes.every((p) => p.ready()), 60_000);
  // Timed from the moment the last one is consuming; what the first stored before that is left out.
  const t0 = Date.now();
  const before = total();
  await until(`${events} events stored`, () => total() >= events, 600_000);
  const seconds = (Date.now() - t0) / 1000;
  const timed = events - before;
  const reports = await Promise.all(probes.map((p) => p.stop()));
  const stored = reports.reduce((n, r) => n + r.stored, 0);
  const cpuUs = reports.reduce((n, r) => n + r.cpuUsPerEvent * r.stored, 0) / Math.max(1, stored);
  const shares = reports.map((r) => r.stored);
  log(`  ${cores.length} consumer${cores.length > 1 ? 's' : ''}: ${(timed / seconds).toFixed(0)} events/s, ${cpuUs.toFixed(1)} µs CPU/event, stored ${shares.join(' + ')} = ${stored} of ${events}`);
  return { eps: timed / seconds, cpuUs, stored, shares };
}

/**
 * One consumer on the server core against two (the server core and the load core, which NATS shares). The scaling
 * is CPU-normalised, as for the workers: 2 × (CPU µs per event with one) ÷ (CPU µs per event with two, summed over
 * both), so that NATS sharing the second core does not count against the consumers; wall-clock events/s are reported
 * beside it.
 */
export async function consumersScenario(ctx) {
  const { P, sut, load, log } = ctx;
  log('\n11. horizontal consumers: one durable JetStream consumer shared by 1 and by 2 consume processes (DuckDB each)');
  const one = [];
  const two = [];
  for (let r = 0; r < P.reps; r++) {
    one.push(await drain(ctx, `scale1r${r}`, [sut], P.consumersEvents));
    two.push(await drain(ctx, `scale2r${r}`, [sut, load], P.consumersEvents));
  }
  const cpuOne = median(one.map((x) => x.cpuUs));
  const cpuTwo = median(two.map((x) => x.cpuUs));
  return {
    title: '11. Horizontal consumers: 1 and 2 processes on one durable consumer',
    one: { eps: median(one.map((x) => x.eps)), cpuUs: cpuOne, runs: one },
    two: { eps: median(two.map((x) => x.eps)), cpuUs: cpuTwo, runs: two },
    scaling: (2 * cpuOne) / cpuTwo,
    wallScaling: median(two.map((x) => x.eps)) / median(one.map((x) => x.eps)),
  };
}
