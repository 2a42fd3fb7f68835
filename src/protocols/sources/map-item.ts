import { badRequest } from '../../server/errors.js';
import { BOOLEAN_FIELDS, NUMERIC_FIELDS, STRING_FIELDS } from '../../track/event.js';
import type { ProtocolItem } from '../record.js';
import { asRecord, eventId, isoTime, num, text, type Json } from '../values.js';
import type { FieldRule } from './config.js';
import { findPath, keyPath } from './json-path.js';

type Scalar = string | number | boolean;

/** What a rule reads besides the item: the request's path parameters and the whole body (batch envelopes). */
export interface MapContext {
  readonly root: unknown;
  readonly pathParams: Readonly<Record<string, string>>;
}

export interface Mapping {
  readonly map: Readonly<Record<string, FieldRule>>;
  readonly unmapped: 'params' | 'drop';
}

const NUMERIC = new Set<string>(NUMERIC_FIELDS);
const BOOLEAN = new Set<string>(BOOLEAN_FIELDS);
const STRING = new Set<string>([...STRING_FIELDS, 'email', 'cell', 'uname']);

/** Event fields a rule may write: the /tr/v1/ client fields, the PII fields (hashed), params and params.<key>. */
export function isMappableField(field: string): boolean {
  return STRING.has(field) || NUMERIC.has(field) || BOOLEAN.has(field) || field === 'params' || /^params\..+/.test(field);
}

interface Normalized {
  readonly from: readonly string[];
  readonly value?: Scalar;
  readonly default?: Scalar;
  readonly lookup?: Readonly<Record<string, Scalar>>;
  readonly otherwise?: Scalar;
  readonly required: boolean;
  readonly unit: 'ms' | 's' | 'us';
}

function normalize(rule: FieldRule): Normalized {
  if (typeof rule === 'string') return { from: [rule], required: false, unit: 'ms' };
  const from = rule.from === undefined ? [] : typeof rule.from === 'string' ? [rule.from] : rule.from;
  return { ...rule, from, required: rule.required ?? false, unit: rule.unit ?? 'ms' };
}

/**
 * One sender object → one Gatehouse event, by the source's rules. Every value is converted to the field's type
 * here, so a value that cannot be is a 400 naming the field and the path it came from; buildEvent then applies
 * the limits every event has. The object itself is kept as `raw`.
 */
export function mapItem(item: unknown, mapping: Mapping, ctx: MapContext): ProtocolItem {
  const object = asRecord(item);
  if (!object) throw badRequest('INVALID_EVENT', 'an event must be a JSON object');
  const consumed = new Set<string>();
  const touched = new Set<string>();
  const read = (path: string): { value: unknown; keys?: readonly string[] } | undefined => {
    if (path.startsWith('$path.')) {
      const value = ctx.pathParams[path.slice(6)];
      return value === undefined || value === '' ? undefined : { value };
    }
    if (path.startsWith('$root.')) {
      const found = findPath(ctx.root, path.slice(6));
      return found && { value: found.value };
    }
    const found = findPath(object, path);
    if (!found) return undefined;
    consumed.add(keyPath(found.keys));
    touched.add(found.keys[0] as string);
    return found;
  };

  const fields: Json = {};
  const params: Record<string, string> = {};
  const spreads: { value: unknown; keys?: readonly string[]; path: string }[] = [];
  for (const [field, raw] of Object.entries(mapping.map)) {
    const rule = normalize(raw);
    if (field === 'params') {
      for (const path of rule.from) {
        const found = read(path);
        if (found) spreads.push({ ...found, path });
      }
      continue;
    }
    let source = 'value';
    let value: unknown = rule.value;
    for (const path of rule.value === undefined ? rule.from : []) {
      const found = read(path);
      if (found) {
        value = found.value;
        source = path;
        break;
      }
    }
    if (value !== undefined && rule.lookup && isScalar(value)) {
      const key = String(value);
      if (Object.prototype.hasOwnProperty.call(rule.lookup, key)) value = rule.lookup[key];
      else if (rule.otherwise !== undefined) value = rule.otherwise;
    }
    if (value === undefined) value = rule.default;
    if (value === undefined) {
      if (rule.required) throw badRequest('MISSING_FIELD', `"${field}" is required: no value at ${rule.from.map((p) => JSON.stringify(p)).join(' or ')}`, { field });
      continue;
    }
    const converted = convert(field, value, rule.unit);
    if (!converted.ok) {
      throw badRequest('INVALID_FIELD', `"${field}" (from ${JSON.stringify(source)}): ${converted.message}`, { field, from: source });
    }
    if (converted.value === undefined) continue;
    if (field.startsWith('params.')) params[field.slice(7)] = converted.value as string;
    else fields[field] = converted.value;
  }

  // Objects spread into params skip the keys another rule already read (no field stored twice).
  for (const spread of spreads) {
    const record = asRecord(spread.value);
    if (!record) throw badRequest('INVALID_FIELD', `"params" (from ${JSON.stringify(spread.path)}): must be an object`, { field: 'params', from: spread.path });
    for (const [key, value] of Object.entries(record)) {
      if (spread.keys && consumed.has(keyPath([...spread.keys, key]))) continue;
      if (value !== undefined && value !== null && !(key in params)) params[key] = paramText(value);
    }
  }
  if (mapping.unmapped === 'params') {
    for (const [key, value] of Object.entries(object)) {
      if (touched.has(key) || key in params || value === undefined || value === null) continue;
      params[key] = paramText(value);
    }
  }
  if (Object.keys(params).length > 0) fields.params = params;
  return { fields, raw: object };
}

type Converted = { ok: true; value: unknown } | { ok: false; message: string };

function convert(field: string, value: unknown, unit: 'ms' | 's' | 'us'): Converted {
  if (field.startsWith('params.')) return { ok: true, value: paramText(value) };
  if (field === 'created') {
    const iso = isoTime(value, unit);
    return iso ? { ok: true, value: iso } : { ok: false, message: 'is not a time (ISO 8601 or epoch number)' };
  }
  if (NUMERIC.has(field)) {
    const n = num(value);
    return n === undefined ? { ok: false, message: 'must be a number' } : { ok: true, value: n };
  }
  if (BOOLEAN.has(field)) {
    if (typeof value === 'boolean') return { ok: true, value };
    if (value === 'true' || value === 'false') return { ok: true, value: value === 'true' };
    return { ok: false, message: 'must be a boolean' };
  }
  if (typeof value === 'object') return { ok: false, message: `must be a string or number, not ${Array.isArray(value) ? 'an array' : 'an object'}` };
  const s = typeof value === 'boolean' ? String(value) : text(value);
  // A foreign id outside the event-id alphabet is hashed to a stable one, so retries still deduplicate.
  return { ok: true, value: field === 'eid' ? eventId(s) : s };
}

function isScalar(value: unknown): value is Scalar {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function paramText(value: unknown): string {
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}
