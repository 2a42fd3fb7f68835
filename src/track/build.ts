import { NUMERIC_FIELDS, BOOLEAN_FIELDS, STRING_FIELDS, type ClientFields } from './event.js';
import { toBoolean, toCreated, toNumber, toParamsObject, toText } from './coerce.js';
import { uuidv7 } from './uuid7.js';
import { dict } from './dict.js';
import { ID_FIELDS, safeId } from './ids.js';
import { PII_FIELDS, type PiiField } from './enrich/pii.js';

/**
 * What a request carried, before enrichment: typed client fields, and the raw PII kept aside, where enrichment
 * hashes it and drops it. The split is made here, once: no PII key is left in `fields` or its `params`.
 */
export interface BuiltEvent {
  fields: ClientFields & { eid: string };
  pii: Partial<Record<PiiField, string>>;
}

export interface BuildLimits {
  readonly maxParams: number;
  readonly maxValueLength: number;
}

/** One problem with one field; a rejected event lists them all. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

export type BuildResult = { ok: true; event: BuiltEvent } | { ok: false; errors: FieldError[] };

const NUMERIC = new Set<string>(NUMERIC_FIELDS);
const BOOLEAN = new Set<string>(BOOLEAN_FIELDS);
const STRING = new Set<string>(STRING_FIELDS);
const PII = new Set<string>(PII_FIELDS);
// PII under a param name, in any case ("Email", params.CELL), is PII too, so it cannot slip through as a param.
const PII_PARAM = new Map<string, PiiField>(PII_FIELDS.map((f) => [f, f]));
const IDS = new Set<string>(ID_FIELDS);
// A client-supplied event id is kept (retries deduplicate) but must be a plain token. Any length from 1:
// upstream clients send short ids such as "cw-a".
const EID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Turns the key/values of a request (query, REST path tuples or a JSON object) into a typed event, reading
 * values in the types the upstream "tracker" accepted (./coerce.ts): "6" is a number where a number is stored,
 * 42 a string where text is stored, "false" a boolean, epoch milliseconds a `created` time.
 * Unknown keys go to `params`; `utm_` prefixes are dropped (upstream compatibility); `id` is an alias of `eid`.
 */
export function buildEvent(input: Record<string, unknown>, limits: BuildLimits): BuildResult {
  const errors: FieldError[] = [];
  // Only known field names are set on `fields` and `pii` (every other key goes to `params`), so they keep a
  // prototype, and V8's fast properties; `params` holds the client's keys and has none.
  const fields: Record<string, unknown> = {};
  const params = dict<string>();
  // PII among the params, by param key: apart from `params`, but counted with them against maxParams.
  const piiParams = dict<string>();
  const pii: BuiltEvent['pii'] = {};
  const tooLong = (field: string, v: string) => {
    if (v.length <= limits.maxValueLength) return false;
    errors.push({ field, message: `longer than ${limits.maxValueLength} characters` });
    return true;
  };

  for (const [rawKey, value] of Object.entries(input)) {
    if (value === undefined || value === null) continue;
    const key = rawKey === 'id' ? 'eid' : rawKey.startsWith('utm_') ? rawKey.slice(4) : rawKey;
    if (key === 'params') {
      addParams(value, { params, piiParams }, errors, limits);
    } else if (PII.has(key)) {
      if (typeof value !== 'string') errors.push({ field: key, message: 'must be a string' });
      else if (!tooLong(key, value)) pii[key as keyof BuiltEvent['pii']] = value;
    } else if (NUMERIC.has(key)) {
      const n = toNumber(value);
      if (n === undefined) errors.push({ field: key, message: 'must be a number (or a string holding one)' });
      else fields[key] = n;
    } else if (BOOLEAN.has(key)) {
      const b = toBoolean(value);
      if (b === undefined) errors.push({ field: key, message: 'must be true or false (boolean or string)' });
      else fields[key] = b;
    } else if (key === 'created') {
      const created = toCreated(value);
      if (created === undefined) errors.push({ field: key, message: 'must be epoch milliseconds (number or digits) or a date string' });
      else if (!tooLong(key, created)) fields[key] = created;
    } else if (STRING.has(key)) {
      const text = toText(value);
      if (text === undefined) errors.push({ field: key, message: 'must be a string (or a number)' });
      // An id that is no plain token is replaced, never echoed into a cookie or a stored id.
      else if (!tooLong(key, text)) fields[key] = IDS.has(key) ? safeId(text) : text;
    } else {
      addParam(key, value, { params, piiParams }, errors, limits);
    }
  }

  if (typeof fields.eid === 'string' && !EID.test(fields.eid)) {
    errors.push({ field: 'eid', message: 'must be 1-64 characters of A-Z, a-z, 0-9, "_" or "-"' });
  }
  if (Object.keys(params).length + Object.keys(piiParams).length > limits.maxParams) {
    errors.push({ field: 'params', message: `more than ${limits.maxParams} entries` });
  }
  if (errors.length > 0) return { ok: false, errors };

  if (fields.ename === undefined && typeof fields.content === 'string') fields.ename = fields.content;
  if (Object.keys(params).length > 0) fields.params = params;
  // A PII field sent as a field wins over one among the params; among the params, the first one sent.
  for (const [key, value] of Object.entries(piiParams)) {
    const field = PII_PARAM.get(key.toLowerCase()) as PiiField;
    pii[field] ??= value;
  }
  fields.eid ??= uuidv7();
  return { ok: true, event: { fields: fields as unknown as BuiltEvent['fields'], pii } };
}

/** Where params go: plain ones to `params`, PII-named ones (any case) to `piiParams`. */
interface ParamTargets {
  readonly params: Record<string, string>;
  readonly piiParams: Record<string, string>;
}

function addParams(value: unknown, targets: ParamTargets, errors: FieldError[], limits: BuildLimits): void {
  const object = toParamsObject(value);
  if (!object) {
    errors.push({ field: 'params', message: 'must be an object of strings (or a string holding one as JSON)' });
    return;
  }
  for (const [k, v] of Object.entries(object)) addParam(k, v, targets, errors, limits, `params.${k}`);
}

function addParam(
  key: string,
  value: unknown,
  targets: ParamTargets,
  errors: FieldError[],
  limits: BuildLimits,
  field = key,
): void {
  if (key.length > 128) {
    errors.push({ field: field.slice(0, 140), message: 'key longer than 128 characters' });
    return;
  }
  if (typeof value === 'object' || typeof value === 'function') {
    errors.push({ field, message: 'must be a string, number or boolean' });
    return;
  }
  const text = String(value);
  if (text.length > limits.maxValueLength) errors.push({ field, message: `longer than ${limits.maxValueLength} characters` });
  else if (PII_PARAM.has(key.toLowerCase())) targets.piiParams[key] = text;
  else targets.params[key] = text;
}
