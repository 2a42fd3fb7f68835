/**
 * Personal identifiers under the names trackers use for them. In params they are renamed to Gatehouse's PII
 * fields, which enrichment replaces by salted hashes; in `raw` they are redacted, so the original payload never
 * keeps what the event itself may not.
 */
import { dict, lookup } from '../track/dict.js';

const RENAME: Record<string, 'email' | 'cell' | 'uname'> = {
  email: 'email',
  $email: 'email',
  phone: 'cell',
  cell: 'cell',
  username: 'uname',
  uname: 'uname',
};

export const REDACTED = '[redacted]';

/** Params with PII keys renamed to email / cell / uname (hashed by enrichment). */
export function piiParams(params: Record<string, string>): Record<string, string> {
  const out = dict<string>();
  for (const [key, value] of Object.entries(params)) out[lookup(RENAME, key.toLowerCase()) ?? key] = value;
  return out;
}

/** A deep copy of a payload with every PII-named value redacted. */
export function redactPii(value: unknown, depth = 0): unknown {
  if (depth > 32 || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((v) => redactPii(v, depth + 1));
  const out = dict<unknown>();
  for (const [key, v] of Object.entries(value)) {
    out[key] = lookup(RENAME, key.toLowerCase()) && v !== null && typeof v !== 'object' ? REDACTED : redactPii(v, depth + 1);
  }
  return out;
}

/** Whether a key (a param, a REST-tuple key) names a personal identifier under any of the names above. */
export function isPiiName(key: string): boolean {
  return Object.hasOwn(RENAME, key.toLowerCase());
}
