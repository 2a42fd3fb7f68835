/**
 * Type coercions for client fields, in the types the upstream "tracker" accepted, so its clients and documented
 * payloads work unchanged (docs/compatibility-upstream.md lists them field by field). Each returns the typed
 * value, or undefined when the value cannot be read as that type (the caller then names the field in a 400).
 */

/** A number, or a string holding one (upstream parsed `score`, `duration`, `lat`, `lon` from strings too). */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** true/false, or the strings "true"/"false" (the upstream client sends `first` as a string). */
export function toBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return undefined;
}

/** A string, or a finite number written as text (`uid: 42`, `rel: 3`: the upstream schema stores text). */
export function toText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

// Epoch milliseconds from 1970 to 9999; beyond that a Date is invalid or the number is not a time.
const MAX_EPOCH_MS = 253402300799999;

/**
 * `created`, the client's clock: epoch milliseconds (a number, as the upstream client sends `Date.now()`, or a
 * string of digits) become ISO 8601 UTC, like the other protocols' client times; any other string is kept as sent.
 */
export function toCreated(value: unknown): string | undefined {
  const digits = typeof value === 'string' && /^\d{1,15}$/.test(value);
  if (typeof value === 'string' && !digits) return value;
  const ms = digits ? Number(value) : typeof value === 'number' ? value : NaN;
  if (!Number.isInteger(ms) || ms < 0 || ms > MAX_EPOCH_MS) return undefined;
  return new Date(ms).toISOString();
}

/** `params` as an object, or as a string holding a JSON object (upstream accepted both). */
export function toParamsObject(value: unknown): Record<string, unknown> | undefined {
  let v = value;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v) as unknown;
    } catch {
      return undefined;
    }
  }
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}
