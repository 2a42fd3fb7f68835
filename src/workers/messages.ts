import type { LeaseRequest, Returned } from '../ratelimit/index.js';
import type { ShortLink } from '../track/links/link-store.js';
import type { Config } from '../settings/schema.js';

/**
 * The IPC protocol between the primary and its workers (node:cluster, `serialization: 'advanced'`, so buffers
 * travel as bytes). Every message carries `gh` (its kind), which keeps it apart from other users of the channel.
 */

/** A batch of bus messages: ids, and their payloads packed into one buffer (one copy instead of one per event). */
export interface PackedBatch {
  readonly ids: string[];
  readonly sizes: number[];
  readonly bytes: Uint8Array;
}

export type LinkCall =
  | { readonly op: 'get'; readonly slug: string }
  | { readonly op: 'put'; readonly link: ShortLink }
  | { readonly op: 'list' }
  | { readonly op: 'delete'; readonly slug: string };

/** Worker → primary: a call the primary answers with a `reply` of the same id. */
export type WorkerCall =
  | { readonly gh: 'publish'; readonly id: number; readonly batch: PackedBatch }
  | { readonly gh: 'link'; readonly id: number; readonly call: LinkCall }
  | { readonly gh: 'health'; readonly id: number }
  | { readonly gh: 'lease'; readonly id: number; readonly request: LeaseRequest };

/** Worker → primary: notices. */
export type WorkerNotice =
  | { readonly gh: 'ready'; readonly main: string; readonly https?: string }
  | { readonly gh: 'metrics'; readonly id: number; readonly metrics?: unknown[]; readonly error?: string }
  | { readonly gh: 'reclaimed'; readonly id: number; readonly returned: Returned }
  | { readonly gh: 'reloaded'; readonly id: number; readonly error?: string };

export type WorkerMessage = WorkerCall | WorkerNotice;

/** Primary → worker. */
export type PrimaryMessage =
  | { readonly gh: 'reply'; readonly id: number; readonly ok: true; readonly value?: unknown }
  | { readonly gh: 'reply'; readonly id: number; readonly ok: false; readonly error: string }
  | { readonly gh: 'metrics'; readonly id: number }
  | { readonly gh: 'linkChanged'; readonly slug: string }
  | { readonly gh: 'reclaim'; readonly id: number; readonly request: LeaseRequest }
  /** A config reload, validated once by the primary; the worker answers `reloaded` when it serves with it. */
  | { readonly gh: 'reload'; readonly id: number; readonly config: Config; readonly hash: string }
  | { readonly gh: 'shutdown' };

/** True for a message of this protocol (the channel also carries Node's own cluster messages). */
export function isProtocolMessage(message: unknown): message is { gh: string } {
  return typeof message === 'object' && message !== null && typeof (message as { gh?: unknown }).gh === 'string';
}

export function pack(messages: readonly { id: string; data: Uint8Array }[]): PackedBatch {
  const ids: string[] = [];
  const sizes: number[] = [];
  let total = 0;
  for (const m of messages) total += m.data.byteLength;
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const m of messages) {
    ids.push(m.id);
    sizes.push(m.data.byteLength);
    bytes.set(m.data, at);
    at += m.data.byteLength;
  }
  return { ids, sizes, bytes };
}

export function unpack(batch: PackedBatch): { id: string; data: Uint8Array }[] {
  const out: { id: string; data: Uint8Array }[] = [];
  let at = 0;
  for (let i = 0; i < batch.ids.length; i++) {
    const size = batch.sizes[i] ?? 0;
    out.push({ id: batch.ids[i] ?? '', data: batch.bytes.subarray(at, at + size) });
    at += size;
  }
  return out;
}
