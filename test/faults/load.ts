import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A bounded load loop on loopback: `clients` concurrent clients POST one event each to /tr/v1/, with client-made
 * unique eids, paced to `rate` events per second in total, until stopped or `max` events were sent. It records
 * which ids were answered 2xx (the promise the gateway made) and how every other attempt ended.
 */
export interface LoadOptions {
  /** Base URL of the gateway, read per request (a restarted gateway may move). */
  readonly url: () => string;
  /** Prefix of every eid (8-64 characters of A-Z a-z 0-9 _ - in all); also the events' ename. */
  readonly prefix: string;
  readonly clients?: number;
  readonly rate?: number;
  readonly max?: number;
  /** Characters of filler in each event's params (bigger events: the store's WAL fills sooner). */
  readonly padding?: number;
}

export interface LoadTally {
  readonly sent: number;
  /** Ids answered 2xx. */
  readonly ok: ReadonlySet<string>;
  /** Non-2xx outcomes by status code, or "error:<code>" when no answer arrived (refused, reset, timed out). */
  readonly failed: ReadonlyMap<string, number>;
  /** Every id sent, answered or not. */
  readonly ids: ReadonlySet<string>;
  /** 503 answers that carried Retry-After. */
  readonly retryAfter: number;
}

const REQUEST_TIMEOUT_MS = 20_000;

export class Load {
  private readonly okIds = new Set<string>();
  private readonly sentIds = new Set<string>();
  private readonly failures = new Map<string, number>();
  private retryAfterCount = 0;
  private next = 0;
  private stopped = false;
  private running: Promise<void> | undefined;
  private readonly started = performance.now();
  private readonly clients: number;
  private readonly rate: number;
  private readonly max: number;

  /** `padding` characters as params of 2,000 (within tracking.limits.maxValueLength). */
  private readonly padding: Record<string, string> | undefined;

  constructor(private readonly options: LoadOptions) {
    const pad = options.padding ?? 0;
    this.padding = pad > 0 ? Object.fromEntries(Array.from({ length: Math.ceil(pad / 2_000) }, (_, i) => [`pad${i}`, 'p'.repeat(Math.min(2_000, pad - i * 2_000))])) : undefined;
    this.clients = options.clients ?? 8;
    this.rate = options.rate ?? 150;
    this.max = options.max ?? 3_000;
  }

  start(): this {
    this.running ??= Promise.all(Array.from({ length: this.clients }, () => this.client())).then(() => undefined);
    return this;
  }

  /** Events answered 2xx so far. */
  get okCount(): number {
    return this.okIds.size;
  }

  /** Attempts so far that got no 2xx. */
  get failedCount(): number {
    let n = 0;
    for (const v of this.failures.values()) n += v;
    return n;
  }

  /** True once the loop sent `max` events (or was stopped). */
  get finished(): boolean {
    return this.stopped || this.next >= this.max;
  }

  /** Counts an outcome the scenario obtained itself (a held request, say). */
  record(eid: string, status: number | string): void {
    this.sentIds.add(eid);
    if (typeof status === 'number' && status >= 200 && status < 300) this.okIds.add(eid);
    else this.failures.set(String(status), (this.failures.get(String(status)) ?? 0) + 1);
  }

  /** Stops sending, waits for the requests in flight to end, and returns the tally. */
  async stop(): Promise<LoadTally> {
    this.stopped = true;
    await this.running;
    return this.tally();
  }

  tally(): LoadTally {
    return {
      sent: this.sentIds.size,
      ok: new Set(this.okIds),
      failed: new Map(this.failures),
      ids: new Set(this.sentIds),
      retryAfter: this.retryAfterCount,
    };
  }

  private async client(): Promise<void> {
    while (!this.stopped && this.next < this.max) {
      const i = this.next++;
      // Pacing: event i is due at i/rate seconds after the start; a client that is early waits for its slot.
      const due = this.started + (i * 1000) / this.rate;
      const early = due - performance.now();
      if (early > 0) await sleep(early);
      if (this.stopped) return;
      await this.send(`${this.options.prefix}-${String(i).padStart(6, '0')}`);
    }
  }

  private async send(eid: string): Promise<void> {
    this.sentIds.add(eid);
    let status: number | string;
    try {
      const res = await fetch(`${this.options.url()}/tr/v1/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ename: this.options.prefix, eid, ...(this.padding ? { params: this.padding } : {}) }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const body = await res.text();
      status = res.status;
      if (status >= 200 && status < 300 && !body.includes(eid)) throw new Error(`2xx without the id ${eid}: ${body}`);
      if (status === 503 && res.headers.get('retry-after')) this.retryAfterCount++;
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('2xx without')) throw err;
      status = `error:${errorCode(err)}`;
    }
    this.record(eid, status);
  }
}

/** The most specific code of a failed fetch: the socket error under undici's "fetch failed". */
function errorCode(err: unknown): string {
  let current: unknown = err;
  for (let depth = 0; current instanceof Error && depth < 4; depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (code) return code;
    if (current.name === 'TimeoutError') return 'timeout';
    current = current.cause;
  }
  return 'unknown';
}
