import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';

export type Coding = 'br' | 'gzip';

/** File suffix of a precompressed sibling for each coding. */
export const SUFFIX: Record<Coding, string> = { br: '.br', gzip: '.gz' };

const SERVER_ORDER: readonly Coding[] = ['br', 'gzip'];

/**
 * The content codings a client accepts (RFC 9110 §12.5.3), best first: by q-value, then brotli before gzip
 * (smaller for the same text). "q=0" refuses a coding, also one that "*" would otherwise allow.
 */
export function acceptedCodings(header: string | string[] | undefined): Coding[] {
  if (!header) return [];
  const weights = new Map<string, number>();
  for (const part of (Array.isArray(header) ? header.join(',') : header).split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    if (name) weights.set(name, Number.isFinite(weight) ? weight : 0);
  }
  const star = weights.get('*');
  return SERVER_ORDER.map((c) => ({ c, q: weights.get(c) ?? star ?? 0 }))
    .filter((x) => x.q > 0)
    .sort((a, b) => b.q - a.q || SERVER_ORDER.indexOf(a.c) - SERVER_ORDER.indexOf(b.c))
    .map((x) => x.c);
}

const brotli = promisify(brotliCompress);
const gz = promisify(gzip);

/**
 * Compresses in the libuv thread pool, off the event loop. Brotli quality 6 rather than the default 11: the
 * result is cached, but the first request (and any after an eviction) waits for it, and 11 costs many times the
 * CPU for a few percent.
 */
export function compress(body: Buffer, coding: Coding): Promise<Buffer> {
  if (coding === 'gzip') return gz(body, { level: 6 });
  return brotli(body, {
    params: {
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_QUALITY]: 6,
      [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
    },
  });
}
