import type { BusMessage } from './bus.js';

/**
 * Packing several bus messages (events) into one NATS message, a "pack".
 *
 * A pack's payload is its messages' payloads joined by "\n" (for events: NDJSON, each line one event's JSON, so a
 * pack of one is byte for byte the message itself). Two headers say how to split it without trusting the payload:
 *
 *   Gatehouse-Ids:   JSON array of the messages' ids, in order
 *   Gatehouse-Sizes: their payload sizes in bytes, comma-separated
 *
 * A pack of one message carries neither header and is published exactly as the message alone was. The pack's
 * `Nats-Msg-Id` is `<first id>+<count>`: the same messages packed the same way get the same id, so JetStream still
 * deduplicates a re-publish. The spool cuts packs at the same places whenever it reads the same records (see
 * `Packer`), so a re-publish after a crash or a failed publish is the same pack.
 */
export const PACK_IDS_HEADER = 'Gatehouse-Ids';
export const PACK_SIZES_HEADER = 'Gatehouse-Sizes';

/** Most messages in one pack (bounds the ids header). */
export const PACK_MAX_MESSAGES = 1_000;
/** Payload bytes after which a pack is closed (a single larger message travels alone). */
export const PACK_MAX_BYTES = 64 * 1024;

const NEWLINE = 0x0a;

export interface Pack {
  /** `Nats-Msg-Id`: the message id for a pack of one, `<first id>+<count>` otherwise. */
  readonly id: string;
  readonly data: Uint8Array;
  /** Undefined for a pack of one. */
  readonly ids?: string;
  readonly sizes?: string;
  readonly count: number;
}

/**
 * Where packs end, decided from the messages alone, counted from a pack boundary: after a message marked
 * `packEnd` (a spool group commit ends there), after `maxMessages` messages, or once `maxBytes` of payload are
 * in; and before a message that would take the pack past `maxBytes`.
 */
export class Packer {
  private count = 0;
  private bytes = 0;

  constructor(
    private readonly maxMessages: number,
    private readonly maxBytes: number,
  ) {}

  /** True when a message of `size` bytes must start a new pack (the caller then closes the current one). */
  startsNew(size: number): boolean {
    return this.count > 0 && this.bytes + size > this.maxBytes;
  }

  /** Counts a message into the current pack; true when the pack ends with it. */
  add(size: number, packEnd: boolean): boolean {
    this.count += 1;
    this.bytes += size;
    if (packEnd || this.count >= this.maxMessages || this.bytes >= this.maxBytes) {
      this.reset();
      return true;
    }
    return false;
  }

  reset(): void {
    this.count = 0;
    this.bytes = 0;
  }
}

/** Splits messages into packs at the Packer's boundaries (`packEnd` marks, counts and sizes). */
export function pack(messages: readonly BusMessage[], maxMessages = PACK_MAX_MESSAGES, maxBytes = PACK_MAX_BYTES): Pack[] {
  const packs: Pack[] = [];
  const packer = new Packer(maxMessages, maxBytes);
  let start = 0;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as BusMessage;
    if (i > start && packer.startsNew(m.data.byteLength)) {
      packer.reset();
      packs.push(build(messages, start, i));
      start = i;
    }
    if (packer.add(m.data.byteLength, m.packEnd === true) || i === messages.length - 1) {
      packs.push(build(messages, start, i + 1));
      start = i + 1;
    }
  }
  return packs;
}

function build(messages: readonly BusMessage[], from: number, to: number): Pack {
  const first = messages[from] as BusMessage;
  if (to - from === 1) return { id: first.id, data: first.data, count: 1 };
  const ids: string[] = [];
  const sizes: number[] = [];
  let bytes = to - from - 1;
  for (let i = from; i < to; i++) {
    const m = messages[i] as BusMessage;
    ids.push(m.id);
    sizes.push(m.data.byteLength);
    bytes += m.data.byteLength;
  }
  const data = Buffer.allocUnsafe(bytes);
  let at = 0;
  for (let i = from; i < to; i++) {
    if (i > from) data[at++] = NEWLINE;
    const m = messages[i] as BusMessage;
    data.set(m.data, at);
    at += m.data.byteLength;
  }
  return { id: `${first.id}+${to - from}`, data, ids: JSON.stringify(ids), sizes: sizes.join(','), count: to - from };
}

export class PackError extends Error {
  readonly code = 'BAD_PACK';
  constructor(message: string) {
    super(message);
    this.name = 'PackError';
  }
}

/**
 * The messages of a pack, given its two headers (both absent: the payload is one message with id `id`).
 * Throws PackError when the headers and the payload disagree; the caller then treats the payload as one message.
 * The parts are views into `data`, not copies.
 */
export function unpack(id: string, data: Uint8Array, ids: string | undefined, sizes: string | undefined): BusMessage[] {
  if (ids === undefined && sizes === undefined) return [{ id, data }];
  if (ids === undefined || sizes === undefined) throw new PackError(`a pack needs both ${PACK_IDS_HEADER} and ${PACK_SIZES_HEADER}`);
  let list: unknown;
  try {
    list = JSON.parse(ids);
  } catch {
    throw new PackError(`${PACK_IDS_HEADER} is not JSON`);
  }
  if (!Array.isArray(list) || list.some((v) => typeof v !== 'string')) throw new PackError(`${PACK_IDS_HEADER} is not an array of strings`);
  const lengths = sizes.split(',').map(Number);
  if (lengths.length !== list.length) throw new PackError(`${list.length} ids but ${lengths.length} sizes`);
  const parts: BusMessage[] = [];
  let at = 0;
  for (let i = 0; i < lengths.length; i++) {
    const size = lengths[i] as number;
    if (!Number.isInteger(size) || size < 0) throw new PackError(`size ${i + 1} is not a byte count`);
    if (i > 0) {
      if (data[at] !== NEWLINE) throw new PackError(`no newline before part ${i + 1}`);
      at += 1;
    }
    if (at + size > data.byteLength) throw new PackError('the sizes add up to more than the payload');
    parts.push({ id: list[i] as string, data: data.subarray(at, at + size) });
    at += size;
  }
  if (at !== data.byteLength) throw new PackError('the payload is longer than its parts');
  return parts;
}
