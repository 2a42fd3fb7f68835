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
 */
const SERVING_V8_FLAGS: readonly string[] = ['--no-allocation-site-pretenuring'];

/** Applies SERVING_V8_FLAGS to this process. Idempotent. */
export function tuneV8ForServing(): void {
  for (const flag of SERVING_V8_FLAGS) setFlagsFromString(flag);
}
