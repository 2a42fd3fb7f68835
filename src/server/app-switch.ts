import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { errorBody } from './errors.js';

const SHUTTING_DOWN = JSON.stringify(errorBody('SHUTTING_DOWN', 'the server is shutting down'));

interface Slot {
  readonly app: FastifyInstance;
  inFlight: number;
  /** Set once the slot is replaced: called when its last request ends. */
  drained?: () => void;
}

/**
 * The listener's request callback, delegating to the app built from the running config. A reload builds a new app
 * (ready, not listening) and swaps it in with one assignment: requests already inside the old app finish there,
 * the next request on any connection, keep-alive ones included, goes to the new one; the listener never closes.
 * The old app is closed (its onClose hooks: upstream pools, health checkers, a Redis limiter) once its last
 * request has ended, or at the grace deadline.
 *
 * Fastify cannot remove routes, hence one instance per config; the cost per request is one counter and one
 * `close` listener.
 */
export class AppSwitch {
  private slot: Slot;
  private readonly retiring = new Set<Promise<void>>();
  private stopping = false;

  constructor(app: FastifyInstance) {
    this.slot = { app, inFlight: 0 };
  }

  get current(): FastifyInstance {
    return this.slot.app;
  }

  /** The listener's `request` callback. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    if (this.stopping) return shuttingDown(req, res);
    const slot = this.slot;
    slot.inFlight++;
    res.once('close', () => {
      if (--slot.inFlight === 0) slot.drained?.();
    });
    slot.app.routing(req, res);
  };

  /** Whether the current app takes WebSocket upgrades (Node's `shouldUpgradeCallback`); others are plain requests. */
  readonly acceptsUpgrade = (): boolean => this.slot.app.server.listenerCount('upgrade') > 0;

  /** The listener's `upgrade` callback: handed to the current app's WebSocket handling (@fastify/websocket). */
  readonly upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const slot = this.slot;
    // An open WebSocket keeps its app like a request does, up to the grace deadline of a reload.
    slot.inFlight++;
    socket.once('close', () => {
      if (--slot.inFlight === 0) slot.drained?.();
    });
    if (!slot.app.server.emit('upgrade', req, socket, head)) socket.destroy();
  };

  /** True once shutdown has begun (`stop()`): a new app would never serve. */
  get stopped(): boolean {
    return this.stopping;
  }

  /** Makes `next` (already ready) the app of every new request; resolves when the previous one is closed. */
  swap(next: FastifyInstance, graceMs: number): Promise<void> {
    const previous = this.slot;
    this.slot = { app: next, inFlight: 0 };
    return this.retire(previous, graceMs);
  }

  /**
   * Shutdown, first step: from now on a request on a kept-alive connection gets 503 SHUTTING_DOWN and its connection
   * closes, so the listener's connections end; requests already inside an app finish.
   */
  stop(): void {
    this.stopping = true;
  }

  /** Shutdown, last step: once the listener is closed, closes the current app and those still being retired. */
  async close(graceMs: number): Promise<void> {
    this.retire(this.slot, graceMs);
    await Promise.all([...this.retiring]);
  }

  private retire(slot: Slot, graceMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const drained = new Promise<void>((resolve) => {
      if (slot.inFlight === 0) return resolve();
      slot.drained = resolve;
      timer = setTimeout(resolve, graceMs);
      timer.unref();
    });
    const done: Promise<void> = drained
      .then(() => slot.app.close())
      // The app's own server never listened; closing it is what makes @fastify/http-proxy close the WebSockets
      // still open on this app (it wraps `server.close`), and frees what Node keeps for a server.
      .then(() => new Promise<void>((resolve) => slot.app.server.close(() => resolve())))
      .catch(() => undefined)
      .finally(() => {
        clearTimeout(timer);
        this.retiring.delete(done);
      });
    this.retiring.add(done);
    return done;
  }
}

function shuttingDown(req: IncomingMessage, res: ServerResponse): void {
  // HTTP/2 has no Connection header (RFC 9113 8.2.2); its sessions are closed by the listener.
  const close = req.httpVersionMajor === 1 ? { connection: 'close' } : {};
  res.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'retry-after': '1', ...close }).end(SHUTTING_DOWN);
}
