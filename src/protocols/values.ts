import { dict } from '../track/dict.js';
import { hashedId } from '../track/ids.js';

/** Small readers for untrusted JSON: each returns undefined rather than guessing. */

export type Json = Record<string, unknown>;

export function asRecord(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

/** A non-empty string; numbers are accepted as their text (ids are often numeric). */
export function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

export function num(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Properties and traits → `params` (a map of strings): scalars as text, nested objects and arrays as JSON,
 * so nothing is lost and the store keeps one flat column.
 */
export function toParams(source: Json | undefined, into: Record<string, string> = dict(), prefix = ''): Record<string, string> {
  if (!source) return into;
  for (const [key, value] of Object.entries(source)) {
    if (value === undefined || value === null) continue;
    into[prefix + key] = typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return into;
}

const EID = /^[A-Za-z0-9_-]{8,64}$/;

/**
 * A foreign message id becomes the event id, so a client's retry is deduplicated. Ids outside the event-id
 * alphabet (dots, colons, over 64 characters) are hashed: stable, so dedupe still works.
 */
export function eventId(value: unknown): string | undefined {
  const id = text(value);
  if (id === undefined) return undefined;
  return EID.test(id) ? id : hashedId(id);
}

/**
 * Client times as ISO 8601: ISO strings are normalised, epoch numbers read as milliseconds (or micro- and
 * seconds when `unit` says so). Anything unreadable is dropped: `created` is informative, `received` rules.
 */
export function isoTime(value: unknown, unit: 'ms' | 'us' | 's' = 'ms'): string | undefined {
  let ms: number;
  if (typeof value === 'string' && !/^\d+(\.\d+)?$/.test(value)) ms = Date.parse(value);
  else {
    const n = num(value);
    if (n === undefined) return undefined;
    ms = unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : n;
  }
  if (!Number.isFinite(ms)) return undefined;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** Drops undefined entries so builders can write `{ a: maybe(), b: other() }`. */
export function defined(fields: Json): Json {
  const out: Json = dict();
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) out[k] = v;
  return out;
}
