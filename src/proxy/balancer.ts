import { createHash } from 'node:crypto';
import type { LoadBalancing } from './config.js';
import type { PickContext, Upstream } from './upstream.js';

export type Policy = LoadBalancing['policy'];

/**
 * Chooses among the upstreams in the rotation (never empty). The capacity cap only steers the choice of the
 * spreading policies (round_robin, least_conn) towards upstreams with room; the pinning ones (ip_hash, cookie)
 * keep their upstream and the request waits for a free connection there.
 */
export function pickByPolicy(policy: Policy, candidates: Upstream[], context: PickContext, cap: number): Upstream {
  switch (policy) {
    case 'ip_hash':
      return rendezvous(candidates, context.clientIp?.() ?? '');
    case 'cookie': {
      const sticky = context.sticky;
      const pinned = sticky ? candidates.find((u) => u.id === sticky) : undefined;
      return pinned ?? smoothWeighted(withRoom(candidates, cap));
    }
    case 'least_conn':
      return leastConnections(withRoom(candidates, cap));
    case 'round_robin':
      return smoothWeighted(withRoom(candidates, cap));
  }
}

function withRoom(candidates: Upstream[], cap: number): Upstream[] {
  if (cap <= 0) return candidates;
  const free = candidates.filter((u) => u.inFlight < cap);
  return free.length > 0 ? free : candidates;
}

/**
 * Smooth weighted round-robin (nginx, ngx_http_upstream_round_robin.c): weights 5,1,1 give a a b a c a a rather
 * than a a a a a b c, and equal weights give plain rotation. Works on whichever subset is in the rotation.
 */
function smoothWeighted(candidates: Upstream[]): Upstream {
  let total = 0;
  let best = candidates[0] as Upstream;
  for (const u of candidates) {
    u.current += u.weight;
    total += u.weight;
    if (u.current > best.current) best = u;
  }
  best.current -= total;
  return best;
}

/** Fewest requests in flight relative to weight; ties are rotated so idle upstreams share the load. */
function leastConnections(candidates: Upstream[]): Upstream {
  let min = Infinity;
  for (const u of candidates) min = Math.min(min, u.inFlight / u.weight);
  return smoothWeighted(candidates.filter((u) => u.inFlight / u.weight === min));
}

/**
 * Weighted rendezvous hashing (highest random weight): a client keeps its upstream while that one is in the
 * rotation, and when one leaves only its own clients move. score = -weight / ln(h), h uniform in (0,1).
 */
function rendezvous(candidates: Upstream[], key: string): Upstream {
  let best = candidates[0] as Upstream;
  let bestScore = -Infinity;
  for (const u of candidates) {
    const h = (fnv1a(`${key}\u0000${u.origin}`) + 0.5) / 4294967296;
    const score = -u.weight / Math.log(h);
    if (score > bestScore) {
      bestScore = score;
      best = u;
    }
  }
  return best;
}

/** 32-bit FNV-1a with a final avalanche (murmur3's fmix32), enough to spread short keys evenly. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The sticky cookie's value for an upstream: stable across restarts, and the address stays private. */
export function stickyId(origin: string): string {
  return createHash('sha256').update(`gatehouse-upstream:${origin}`).digest('base64url').slice(0, 16);
}
