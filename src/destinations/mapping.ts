import { dict } from '../track/dict.js';
import { createHash } from 'node:crypto';
import type { TrackEvent } from '../track/event.js';
import type { MappingConfig } from './config.js';

/** A field of an event by name; `params.x` reads a param. Empty strings count as absent. */
export function fieldOf(event: TrackEvent, name: string): string | number | boolean | undefined {
  const value = name.startsWith('params.') ? event.params?.[name.slice(7)] : (event as unknown as Record<string, unknown>)[name];
  if (value === '' || value === null || value === undefined) return undefined;
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? value : undefined;
}

/** The first of `names` that is set, as text. */
export function firstOf(event: TrackEvent, names: readonly string[]): string | undefined {
  for (const name of names) {
    const v = fieldOf(event, name);
    if (v !== undefined) return String(v);
  }
  return undefined;
}

/** Event time in epoch milliseconds: the first readable of the mapping's time fields, else `received`. */
export function timeMs(event: TrackEvent, mapping: MappingConfig): number {
  for (const name of mapping.time) {
    const v = fieldOf(event, name);
    const ms = typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : NaN;
    if (Number.isFinite(ms)) return ms;
  }
  return Date.parse(event.received);
}

/** Everything not excluded, params merged in flat (they win over a field of the same name only if unset). */
export function propertiesOf(event: TrackEvent, mapping: MappingConfig): Record<string, unknown> {
  const exclude = new Set(mapping.exclude);
  // No prototype: a param named `constructor` or `toString` is not taken for a field already set.
  const out = dict<unknown>();
  for (const [key, value] of Object.entries(event)) {
    if (key === 'params' || exclude.has(key) || value === undefined) continue;
    out[key] = value;
  }
  for (const [key, value] of Object.entries(event.params ?? {})) {
    if (!exclude.has(`params.${key}`) && !(key in out)) out[key] = value;
  }
  return out;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The event id as a UUID, for vendors that insist on one (PostHog `uuid`, Mixpanel `$insert_id` ≤ 36 chars):
 * the id itself when it is one, else a stable name-based UUID of it, so a re-send still deduplicates.
 */
export function uuidOf(eid: string): string {
  if (UUID.test(eid)) return eid.toLowerCase();
  const h = createHash('sha256').update(`gatehouse:${eid}`).digest('hex');
  const variant = ((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}
