import { setFlagsFromString } from 'node:v8';

/**
 * V8 flags a serving process (`gatehouse serve`, each of its workers) sets before it builds anything.
 *
 * `--no-allocation-site-pretenuring`: V8 watches which allocation sites produce objects that survive a young
 * collection and then allocates that site's objects straight in the old generation. Under proxy load some
 * per-request site gets that verdict; its old-generation objects then point at each request's young objects
 * (sockets, headers, buffers), which survive every young collection, get promoted and pile up until a full
 * collection. Measured on the 1 KB proxy (bench/HISTORY.md): 28-32% of each young collection survived and
 * a scavenge took ~7 ms; with the flag, ~1% and ~1.3 ms, CPU per request -17 to -26%, peak RSS 203 → 143 MB,
 * p99 41 → 12 ms. Tracking routes were not affected either way. The consumer (`gatehouse consume`) keeps
 * V8's default: its batches of events do live long, and it ran ~9% slower with the flag.
 * Re-measured on Node 24 with the 16 MB young generation below (bench/HISTORY.md, the issue-25/28 pass; same-run
 * A/B, medians of 3 rounds, CPU µs per request with the flag against without): 1 KB proxy 82 vs 100, 100 KB proxy
 * 171 vs 242, pixel 67 vs 65 and event POST 95 vs 91 (within the rounds' spread): still set.
 */
const SERVING_V8_FLAGS: readonly string[] = ['--no-allocation-site-pretenuring'];

/**
 * Flags that only count on the command line (V8 sizes its heap when the process starts, so
 * `setFlagsFromString` is too late for them): the supervisor forks workers with them, and the Dockerfile,
 * the systemd units and `npm start` start a single process with them; `gatehouse consume` too.
 *
 * `--max-semi-space-size=16` (MB): Node 24's V8 grows the young generation to two 64 MB semi-spaces under
 * sustained allocation (Node 20 stopped at 16 MB), a step of ~65 MB of RSS some seconds to minutes into a
 * load, which a soak reads as growth. A request's garbage is small and short-lived; the larger young
 * generation bought nothing measurable: same-run A/B on Node 24 (bench/HISTORY.md), CPU µs per request at 16
 * against the default: pixel 101 vs 102, event POST 108 vs 119, 1 KB proxy 89 vs 97, 100 KB proxy 190 vs 229
 * (medians of 3 rounds), and the gateway's RSS stays ~65 MB lower. The consumer (`gatehouse consume`, draining
 * 200,000 events into DuckDB on one core, three alternating pairs): 25.7, 23.6, 22.6 µs an event against 26.6,
 * 23.7, 22.9 with Node's default, peak RSS 397-425 MB against 494-521, V8 heap 94 MB against 184.
 */
export const SERVING_STARTUP_FLAGS: readonly string[] = ['--max-semi-space-size=16'];

/** Applies SERVING_V8_FLAGS to this process. Idempotent. */
export function tuneV8ForServing(): void {
  for (const flag of SERVING_V8_FLAGS) setFlagsFromString(flag);
}

/** `execArgv` with each SERVING_STARTUP_FLAGS flag the operator did not set already (their own value wins). */
export function servingExecArgv(execArgv: readonly string[]): string[] {
  const named = (flag: string) => flag.split('=')[0]!.replace(/_/g, '-');
  const set = new Set(execArgv.map(named));
  return [...execArgv, ...SERVING_STARTUP_FLAGS.filter((flag) => !set.has(named(flag)))];
}
