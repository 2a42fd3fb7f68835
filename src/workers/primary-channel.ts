import { isProtocolMessage, type PrimaryMessage, type WorkerCall, type WorkerNotice } from './messages.js';

type Call = WorkerCall extends infer C ? (C extends { id: number } ? Omit<C, 'id'> : never) : never;
type Handler = (message: PrimaryMessage) => void;

/** The primary closed the channel (it exited, or is gone), or a call could not be sent. */
export class PrimaryUnavailableError extends Error {
  readonly code = 'PRIMARY_UNAVAILABLE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PrimaryUnavailableError';
  }
}

/** A call the primary answered with an error (the message is the primary's). */
export class PrimaryCallError extends Error {
  readonly code = 'PRIMARY_CALL_FAILED';
  constructor(message: string) {
    super(message);
    this.name = 'PrimaryCallError';
  }
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer?: NodeJS.Timeout;
}

/**
 * A worker's side of the IPC channel to the primary: calls answered by a reply with the same id, notices both
 * ways. When the channel closes every pending call rejects, so nothing waits for an answer that cannot come.
 */
export class PrimaryChannel {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly handlers = new Set<Handler>();
  private readonly onMessage = (message: unknown) => this.receive(message);
  private readonly onDisconnect = () => this.failAll(new PrimaryUnavailableError('the primary closed the channel'));

  constructor(private readonly proc: NodeJS.Process = process) {
    proc.on('message', this.onMessage);
    proc.on('disconnect', this.onDisconnect);
  }

  get connected(): boolean {
    return this.proc.connected === true;
  }

  /** Sends a call; resolves with the primary's reply value. `timeoutMs` bounds calls that must not hang. */
  call(message: Call, timeoutMs?: number): Promise<unknown> {
    if (!this.connected) return Promise.reject(new PrimaryUnavailableError('not connected to the primary'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const entry: Pending = { resolve, reject };
      if (timeoutMs !== undefined) {
        entry.timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new PrimaryUnavailableError(`the primary did not answer ${message.gh} within ${timeoutMs} ms`));
        }, timeoutMs);
      }
      this.pending.set(id, entry);
      this.send({ ...message, id } as WorkerCall, (err) => {
        if (!err) return;
        this.settle(id)?.reject(new PrimaryUnavailableError(`could not send ${message.gh} to the primary`, { cause: err }));
      });
    });
  }

  notify(message: WorkerNotice): void {
    if (this.connected) this.send(message, () => undefined);
  }

  /** Notices from the primary (everything but replies). Returns an unsubscribe. */
  on(handler: Handler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  close(): void {
    this.proc.off('message', this.onMessage);
    this.proc.off('disconnect', this.onDisconnect);
    this.failAll(new PrimaryUnavailableError('the channel to the primary is closed'));
  }

  private send(message: WorkerCall | WorkerNotice, done: (err: Error | null) => void): void {
    try {
      this.proc.send?.(message, undefined, {}, done);
    } catch (err) {
      done(err as Error);
    }
  }

  private receive(message: unknown): void {
    if (!isProtocolMessage(message)) return;
    const m = message as PrimaryMessage;
    if (m.gh !== 'reply') {
      for (const h of this.handlers) h(m);
      return;
    }
    const entry = this.settle(m.id);
    if (!entry) return;
    if (m.ok) entry.resolve(m.value);
    else entry.reject(new PrimaryCallError(m.error));
  }

  private settle(id: number): Pending | undefined {
    const entry = this.pending.get(id);
    if (!entry) return undefined;
    this.pending.delete(id);
    clearTimeout(entry.timer);
    return entry;
  }

  private failAll(err: Error): void {
    for (const id of [...this.pending.keys()]) this.settle(id)?.reject(err);
  }
}
