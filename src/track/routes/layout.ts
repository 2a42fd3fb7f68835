import type { TrackingConfig } from '../config.js';

export type RouteKind = 'track' | 'pixel' | 'redirect' | 'server' | 'ltv';

/** The segment that names each route in the upstream tracker's current layout (`/tr/v1/img/`, ...). */
export const CURRENT_SEGMENTS: Readonly<Record<RouteKind, string>> = { track: 'tr', pixel: 'img', redirect: 'rdr', server: 'str', ltv: 'ltv' };

/**
 * Every prefix a route is served under: its own (the 2020 layout by default: `/tr/v1`, `/img/v1`, ...) and, unless
 * turned off, the current layout's (`/tr/v1/tr`, `/tr/v1/img`, ...). Both share `/tr/v1`: the router matches the
 * longer static prefix first, so `/tr/v1/img/...` is the pixel and `/tr/v1/vid/ID/...` stays REST path tuples on
 * the track route. A tuple key equal to a route segment (`tr`, `img`, `rdr`, `str`; `ltv` for POST) as the first key is thus read
 * as the current layout, as upstream's own router did.
 */
export function routePrefixes(routes: TrackingConfig['routes'], kind: RouteKind): string[] {
  const own = routes[kind];
  if (routes.current === '') return [own];
  const current = `${routes.current}/${CURRENT_SEGMENTS[kind]}`;
  return current === own ? [own] : [own, current];
}

/** Every prefix the tracking routes are served under, both layouts, for reserving them from the proxy. */
export function allRoutePrefixes(routes: TrackingConfig['routes']): string[] {
  const kinds = Object.keys(CURRENT_SEGMENTS) as RouteKind[];
  return [...new Set(kinds.flatMap((kind) => routePrefixes(routes, kind)))];
}
