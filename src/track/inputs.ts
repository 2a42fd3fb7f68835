import type { FieldError } from './build.js';
import { dict } from './dict.js';

export type InputResult = { ok: true; values: Record<string, string> } | { ok: false; errors: FieldError[] };

/**
 * Parses a raw query string strictly: invalid percent-encoding or UTF-8 and repeated keys are errors
 * (a lenient parser would silently store U+FFFD or pick one of the values).
 */
export function parseQuery(rawUrl: string): InputResult {
  const q = rawUrl.indexOf('?');
  const values = dict<string>();
  const errors: FieldError[] = [];
  if (q < 0) return { ok: true, values };
  for (const part of rawUrl.slice(q + 1).split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = decode(eq < 0 ? part : part.slice(0, eq));
    const value = decode(eq < 0 ? '' : part.slice(eq + 1));
    if (key === undefined || value === undefined) {
      errors.push({ field: safeLabel(part), message: 'invalid percent-encoding or UTF-8' });
    } else if (Object.hasOwn(values, key)) {
      errors.push({ field: key, message: 'appears more than once' });
    } else {
      values[key] = value;
    }
  }
  return errors.length ? { ok: false, errors } : { ok: true, values };
}

/**
 * REST path tuples: `/vid/ID/ename/signup/score/6` → {vid: ID, ename: signup, score: "6"}
 * (the route prefix is removed by the caller).
 */
export function parsePathTuples(rest: string): InputResult {
  const segments = rest.split('/').filter((s) => s !== '');
  if (segments.length % 2 !== 0) {
    return { ok: false, errors: [{ field: 'path', message: 'path segments must be key/value pairs' }] };
  }
  const values = dict<string>();
  for (let i = 0; i < segments.length; i += 2) {
    const key = decode(segments[i] as string);
    const value = decode(segments[i + 1] as string);
    if (key === undefined || value === undefined) {
      return { ok: false, errors: [{ field: 'path', message: 'invalid percent-encoding or UTF-8' }] };
    }
    if (Object.hasOwn(values, key)) return { ok: false, errors: [{ field: key, message: 'appears more than once' }] };
    values[key] = value;
  }
  return { ok: true, values };
}

function decode(text: string): string | undefined {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

function safeLabel(part: string): string {
  return part.slice(0, 40).replace(/[^\x20-\x7e]/g, '?');
}
