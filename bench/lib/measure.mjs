// Interleaved repetitions of wrk runs against several servers, with the CPU each server used from /proc.
import { cpuSeconds, peakRssMb } from './proc.mjs';
import { runWrk } from './wrk.mjs';

export const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Warms each server up, then runs `reps` rounds; in each round every server gets one run, in turn, so a slow
 * moment of the machine hits all of them alike. Returns per server the medians and the peak RSS.
 * `targets`: [{ name, pid, url, script, connections?, wrkCore?, warmSeconds? }]
 */
export async function compare(targets, { seconds, warmSeconds, reps, log }) {
  for (const t of targets) {
    log(`  warm-up ${t.name}`);
    await runWrk({ url: t.url, script: t.script, seconds: t.warmSeconds ?? warmSeconds, connections: t.connections, core: t.wrkCore });
  }
  const runs = new Map(targets.map((t) => [t.name, []]));
  for (let r = 0; r < reps; r++) {
    for (const t of targets) {
      const cpu0 = cpuSeconds(t.pid);
      const res = await runWrk({ url: t.url, script: t.script, seconds, connections: t.connections, core: t.wrkCore });
      const cpu = cpuSeconds(t.pid) - cpu0;
      const run = { rps: res.rps, requests: res.requests, cpuUs: (cpu * 1e6) / Math.max(1, res.requests), cores: cpu / seconds, p50: res.p50, p99: res.p99, bad: res.bad, socketErrors: res.socketErrors };
      runs.get(t.name).push(run);
      log(`  ${t.name} rep ${r + 1}: ${run.rps.toFixed(0)} req/s, ${run.cpuUs.toFixed(1)} µs CPU/req, p99 ${run.p99.toFixed(2)} ms${run.bad ? `, ${run.bad} non-2xx/3xx` : ''}`);
    }
  }
  return targets.map((t) => {
    const rs = runs.get(t.name);
    return {
      name: t.name,
      rps: median(rs.map((x) => x.rps)),
      cpuUs: median(rs.map((x) => x.cpuUs)),
      cores: median(rs.map((x) => x.cores)),
      p50: median(rs.map((x) => x.p50)),
      p99: median(rs.map((x) => x.p99)),
      rssMb: peakRssMb(t.pid),
      bad: rs.reduce((a, x) => a + x.bad + x.socketErrors, 0),
      requests: rs.reduce((a, x) => a + x.requests, 0),
      runs: rs,
    };
  });
}
