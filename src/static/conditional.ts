import type { Stats } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import type { Coding } from './encoding.js';

/**
 * A strong validator from size and mtime (as nginx does), so it costs no hashing and holds for streamed files
 * too. Each content coding is a different representation and gets its own tag (RFC 9110 §8.8.3: a strong tag
 * changes whenever the bytes do), else a cache could answer a gzip request with a 304 for brotli bytes.
 */
export function strongEtag(stat: Stats, coding: Coding | undefined): string {
  return `"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}${coding ? `-${coding}` : ''}"`;
}

/**
 * Whether a GET/HEAD may be answered 304 (RFC 9110 §13.2.2): If-None-Match decides when present (weak
 * comparison, "*" matches any current file); only without it is If-Modified-Since consulted, at the
 * one-second precision of HTTP dates.
 */
export function notModified(headers: IncomingHttpHeaders, etag: string | undefined, mtimeMs: number): boolean {
  const inm = headers['if-none-match'];
  if (inm !== undefined) {
    if (etag === undefined) return false;
    return inm.split(',').some((t) => {
      const tag = t.trim();
      return tag === '*' || tag.replace(/^W\//, '') === etag;
    });
  }
  const ims = headers['if-modified-since'];
  if (ims === undefined) return false;
  const since = Date.parse(ims);
  return Number.isFinite(since) && Math.floor(mtimeMs / 1000) * 1000 <= since;
}

/** RFC 9110 §13.1.5: a Range applies only while If-Range (a tag or a date) still matches the file. */
export function rangeStillValid(headers: IncomingHttpHeaders, etag: string | undefined, mtimeMs: number): boolean {
  const ifRange = headers['if-range'];
  if (typeof ifRange !== 'string') return ifRange === undefined;
  if (ifRange.startsWith('"')) return etag !== undefined && ifRange === etag;
  // A date validates only by exact match with Last-Modified (RFC 9110 §13.1.5).
  return Date.parse(ifRange) === Math.floor(mtimeMs / 1000) * 1000;
}
