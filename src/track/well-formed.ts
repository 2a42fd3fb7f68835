import { dict } from './dict.js';

/**
 * Well-formed Unicode for everything that enters the pipeline. A JSON body is valid UTF-8 (checked), yet its
 * `\uXXXX` escapes can still spell a lone surrogate ("\udfff"), which no UTF-8 encoder can write: DuckDB's JSON
 * export then fails on the row for good. Lone surrogates, in values and in keys, become U+FFFD, as the WHATWG
 * encoders do.
 */

// A surrogate can only come from an escape: the decoded UTF-8 text itself holds none unpaired.
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/** Whether text that is valid UTF-8 JSON may parse into a string with a lone surrogate. */
export function mayHoldLoneSurrogates(jsonText: string): boolean {
  return SURROGATE_ESCAPE.test(jsonText);
}

/** A copy of a parsed JSON value with every string and key well-formed (objects without a prototype). */
export function wellFormedJson(value: unknown): unknown {
  if (typeof value === 'string') return value.toWellFormed();
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(wellFormedJson);
  const out = dict<unknown>();
  for (const [key, v] of Object.entries(value)) out[key.toWellFormed()] = wellFormedJson(v);
  return out;
}
