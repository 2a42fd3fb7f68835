/**
 * What the publisher knows about packs it sent, by pack id (`Nats-Msg-Id`), so that a re-publish never relies on
 * the stream's duplicate window (issue 29: acks lost in a partition longer than the window stored events twice).
 *
 * - acked: JetStream acknowledged the pack. The forwarder re-publishes from its checkpoint after any failure, so
 *   packs of a partly failed batch (and of later batches in flight) come back; they are answered from here.
 * - uncertain: sent, but no answer (timeout, connection lost): the stream may or may not hold it. While its first
 *   send is recent enough that a re-send lands inside the stream's duplicate window, it is simply sent again
 *   (JetStream drops the copy); after that, the stream is first read from `floor` on (see stream-scan.ts).
 *   `floor` is the highest stream sequence acknowledged before the pack was sent, so a stored copy can only lie
 *   after it. Correctness past the window rests on the read alone; the window only spares the read.
 *
 * The spool re-reads the same records into the same packs (segment-reader.ts cuts batches where packs end), so a
 * pack id names the same events on every attempt. Both maps are bounded: an entry is only needed until the
 * forwarder's checkpoint passes it, which is at most `publishInFlight` batches after it was sent.
 */
export class PublishLedger {
  private readonly acked = new Set<string>();
  private readonly uncertain = new Map<string, { floor: number; sentAt: number }>();
  /** Highest stream sequence seen in a PubAck, or known to be the stream's end earlier. */
  private highest = 0;

  constructor(private readonly cap = 20_000) {}

  get floor(): number {
    return this.highest;
  }

  /** Every pack sent from now on lies after stream sequence `seq` (it was the stream's end, read before). */
  raiseFloor(seq: number): void {
    if (seq > this.highest) this.highest = seq;
  }

  isAcked(id: string): boolean {
    return this.acked.has(id);
  }

  onAck(id: string, seq: number): void {
    this.uncertain.delete(id);
    if (seq > this.highest) this.highest = seq;
    this.acked.add(id);
    if (this.acked.size > this.cap) this.acked.delete(this.acked.values().next().value as string);
  }

  /** Sent with no answer; the lowest floor and first send are kept (an earlier copy may be anywhere after it). */
  onUnknown(id: string, floor: number, sentAt: number): void {
    const had = this.uncertain.get(id);
    this.uncertain.set(id, had === undefined ? { floor, sentAt } : { floor: Math.min(had.floor, floor), sentAt: Math.min(had.sentAt, sentAt) });
    if (this.uncertain.size > this.cap) this.uncertain.delete(this.uncertain.keys().next().value as string);
  }

  /**
   * The uncertain ids among `ids` first sent before `safeSince` (a re-send now might land after the duplicate
   * window of their stored copy), and the lowest floor to read the stream from.
   */
  unresolved(ids: readonly string[], safeSince: number): { ids: string[]; floor: number } | undefined {
    const found = ids.filter((id) => (this.uncertain.get(id)?.sentAt ?? Infinity) < safeSince);
    if (found.length === 0) return undefined;
    return { ids: found, floor: Math.min(...found.map((id) => this.uncertain.get(id)?.floor ?? 0)) };
  }

  /** The stream was read: `stored` ids are in it; the other checked ids are not and will be sent again. */
  resolve(checked: readonly string[], stored: ReadonlySet<string>): void {
    for (const id of checked) {
      if (stored.has(id)) {
        this.uncertain.delete(id);
        this.acked.add(id);
      } else {
        this.uncertain.delete(id);
      }
    }
  }
}
