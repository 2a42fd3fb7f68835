import { isIP } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { LRUCache } from 'lru-cache';
import type { OnDemandConfig } from './config.js';
import type { AcmeStorage } from './acme-storage.js';
import { certificateEntry, type CertificateEntry, type CertificateStore } from './certificate-store.js';
import type { TlsEvents } from './events.js';
import { TlsError } from './errors.js';
import { askAllows } from './on-demand-ask.js';

// A DNS name of letters, digits and hyphens (no wildcard: a handshake names one host).
const HOST = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export interface OnDemandDeps {
  readonly config: OnDemandConfig;
  readonly store: CertificateStore;
  readonly storage: AcmeStorage;
  readonly events: TlsEvents;
  /** Orders a certificate for `name` from the CA, installs and saves it. */
  readonly order: (name: string) => Promise<CertificateEntry>;
  /** Hands a name that now has a certificate to the renewal loop. */
  readonly adopt: (name: string) => void;
  readonly now?: () => number;
}

/**
 * Certificates for names first seen at a handshake. A name gets one only when the operator's ask URL allows it;
 * refusals are remembered for `refusalTtl` (so a flood of names, repeated, costs one ask each), orders are capped
 * at `maxOrders` per `ordersWindow`, and the handshakes of one name share one ask and one order.
 */
export class OnDemandCertificates {
  private readonly refused: LRUCache<string, true>;
  private readonly pending = new Map<string, Promise<CertificateEntry>>();
  private readonly orderTimes: number[] = [];
  private readonly now: () => number;

  constructor(private readonly deps: OnDemandDeps) {
    this.now = deps.now ?? Date.now;
    this.refused = new LRUCache({ max: deps.config.refusalCacheSize, ttl: deps.config.refusalTtl, ttlAutopurge: false });
  }

  /** The certificate for `servername`, waiting up to `handshakeWait` for an order; throws a TlsError otherwise. */
  async certificate(servername: string): Promise<CertificateEntry> {
    const name = servername.toLowerCase().replace(/\.$/, '');
    if (!HOST.test(name) || isIP(name) !== 0) {
      this.deps.events.onDemandRefused({ reason: 'invalid' });
      throw new TlsError('TLS_ON_DEMAND_REFUSED', 'not a host name');
    }
    if (this.refused.has(name)) {
      this.deps.events.onDemandRefused({ reason: 'cached' });
      throw new TlsError('TLS_ON_DEMAND_REFUSED', `${name} was refused recently`);
    }
    let pending = this.pending.get(name);
    if (!pending) {
      pending = this.obtain(name).finally(() => this.pending.delete(name));
      this.pending.set(name, pending);
    }
    const wait = new AbortController();
    const timeout = delay(this.deps.config.handshakeWait, undefined, { signal: wait.signal, ref: false }).then(() => {
      throw new TlsError('TLS_ON_DEMAND_TIMEOUT', `the certificate for ${name} is still being ordered`);
    });
    timeout.catch(() => undefined);
    try {
      return await Promise.race([pending, timeout]);
    } finally {
      wait.abort();
    }
  }

  private async obtain(name: string): Promise<CertificateEntry> {
    const { config, events } = this.deps;
    const answer = await askAllows(config.ask, name, config.askTimeout);
    events.onDemandAsked({ result: answer });
    if (answer !== 'allowed') {
      this.refused.set(name, true);
      events.onDemandRefused({ reason: 'ask' }, { name });
      throw new TlsError('TLS_ON_DEMAND_REFUSED', `${name} is not allowed by the ask URL`);
    }
    // Obtained before a restart: served again without a new order.
    const saved = await this.deps.storage.readCertificate(name).catch(() => undefined);
    if (saved) {
      const entry = certificateEntry('acme', saved);
      if (entry.info.notAfter.getTime() > this.now()) {
        this.deps.store.set(name, entry);
        this.deps.adopt(name);
        return entry;
      }
    }
    if (!this.takeOrderSlot()) {
      events.onDemandRefused({ reason: 'rate' }, { name });
      throw new TlsError('TLS_ON_DEMAND_RATE_LIMITED', `on-demand order limit reached; ${name} is not ordered now`);
    }
    events.onDemandOrdered({}, { name });
    try {
      const entry = await this.deps.order(name);
      this.deps.adopt(name);
      return entry;
    } catch (err) {
      // A name whose order failed (DNS not pointing here yet) is not ordered again on every handshake.
      this.refused.set(name, true);
      throw err;
    }
  }

  /** A sliding window of order start times. */
  private takeOrderSlot(): boolean {
    const now = this.now();
    const since = now - this.deps.config.ordersWindow;
    while (this.orderTimes.length > 0 && (this.orderTimes[0] ?? 0) <= since) this.orderTimes.shift();
    if (this.orderTimes.length >= this.deps.config.maxOrders) return false;
    this.orderTimes.push(now);
    return true;
  }
}
