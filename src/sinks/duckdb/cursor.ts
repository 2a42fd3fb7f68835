import type { TrackEvent } from '../../track/event.js';

/**
 * Keyset pagination over (received, eid), newest first: stable while events keep arriving, unlike OFFSET.
 * The cursor is opaque to clients (base64url), so its shape can change without breaking them.
 */
export interface Cursor {
  received: Date;
  eid: string;
}

/** The cursor that continues a listing after `event` (pass it as `before`). */
export function cursorAfter(event: Pick<TrackEvent, 'received' | 'eid'>): string {
  return Buffer.from(JSON.stringify([event.received, event.eid])).toString('base64url');
}

/** Undefined when the text is not a cursor this code made. */
export function parseCursor(text: string): Cursor | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2) return undefined;
    const [received, eid] = value as unknown[];
    if (typeof received !== 'string' || typeof eid !== 'string') return undefined;
    const ms = Date.parse(received);
    return Number.isNaN(ms) ? undefined : { received: new Date(ms), eid };
  } catch {
    return undefined;
  }
}
