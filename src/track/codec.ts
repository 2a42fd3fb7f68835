import type { TrackEvent } from './event.js';
import { mayHoldLoneSurrogates, wellFormedJson } from './well-formed.js';

/** Wire format between spool, bus and consumer: UTF-8 JSON of one TrackEvent. */
export function encodeEvent(event: TrackEvent): Uint8Array {
  return Buffer.from(JSON.stringify(event));
}

export class EventDecodeError extends Error {
  readonly code = 'EVENT_DECODE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EventDecodeError';
  }
}

/** Decodes and checks the invariants a sink relies on. Throws EventDecodeError (a poison message). */
export function decodeEvent(data: Uint8Array): TrackEvent {
  let value: unknown;
  const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new EventDecodeError('event is not valid JSON', { cause: err });
  }
  // Gateways normalise at ingestion; an event spooled or published before they did is normalised here, so one
  // lone surrogate cannot reach a store whose exports would then fail on it.
  if (mayHoldLoneSurrogates(text)) value = wellFormedJson(value);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new EventDecodeError('event is not a JSON object');
  }
  const e = value as Record<string, unknown>;
  if (typeof e.eid !== 'string' || e.eid.length === 0) throw new EventDecodeError('event has no eid');
  if (typeof e.received !== 'string' || Number.isNaN(Date.parse(e.received))) {
    throw new EventDecodeError('event has no valid received time');
  }
  if (typeof e.origin !== 'string') throw new EventDecodeError('event has no origin');
  return e as unknown as TrackEvent;
}
