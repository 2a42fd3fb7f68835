import type { Experiment } from './config.js';

/** A path pattern: "/x" is that path exactly; "/x/*" is "/x" and everything under it. */
export function pathMatches(pattern: string, path: string): boolean {
  if (!pattern.endsWith('/*')) return path === pattern;
  const base = pattern.slice(0, -2);
  return path === base || path.startsWith(`${base}/`) || base === '';
}

/** An exact host or a one-label wildcard, case-insensitive, port ignored. */
export function hostMatches(pattern: string, host: string): boolean {
  const h = host.toLowerCase();
  const p = pattern.toLowerCase();
  if (!p.startsWith('*.')) return h === p;
  const rest = h.slice(h.indexOf('.') + 1);
  return h.includes('.') && rest === p.slice(2);
}

/** The experiment applies to this request (host without port, path without query). */
export function experimentMatches(exp: Experiment, host: string, path: string): boolean {
  if (exp.hosts.length > 0 && !exp.hosts.some((h) => hostMatches(h, host))) return false;
  return exp.paths.some((p) => pathMatches(p, path));
}

/** Both patterns can match one path (for the overlap check). */
export function pathsOverlap(a: string, b: string): boolean {
  if (!a.endsWith('/*')) return pathMatches(b, a);
  if (!b.endsWith('/*')) return pathMatches(a, b);
  return pathMatches(a, b.slice(0, -2)) || pathMatches(b, a.slice(0, -2));
}

/** Both host lists can match one host (an empty list is any host). */
export function hostsOverlap(a: readonly string[], b: readonly string[]): boolean {
  if (a.length === 0 || b.length === 0) return true;
  return a.some((x) => b.some((y) => x.toLowerCase() === y.toLowerCase() || hostMatches(x, y) || hostMatches(y, x)));
}
