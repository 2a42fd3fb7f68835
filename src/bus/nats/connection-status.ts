import type { NatsConnection } from '@nats-io/transport-node';
import type { NatsBusEvents } from '../events.js';
import { kickConnection, resetOnStale } from './connection-kick.js';

/**
 * Mirrors the connection's status into the connected gauge and named events, until the connection closes.
 * A connection the client found stale (pings unanswered) is dropped at once (connection-kick.ts), and
 * `onDisconnect` runs as soon as the client reports the link lost.
 */
export function watchConnection(
  nc: NatsConnection,
  events: NatsBusEvents,
  onDisconnect: (why: string) => void = () => undefined,
  /** Mirrors the link's state into the connected gauge (the bus's, when it holds more than one connection). */
  mirror: (up: boolean) => void = (up) => events.natsConnectionUp.set(up ? 1 : 0),
): { readonly connected: boolean; readonly since: number; done: Promise<void> } {
  // `since`: epoch ms of the last (re)connect.
  const state = { connected: true, since: Date.now(), done: Promise.resolve() };
  const resets = resetOnStale(nc);
  mirror(true);
  events.natsConnected({ server: nc.getServer() });
  state.done = (async () => {
    for await (const s of nc.status()) {
      switch (s.type) {
        case 'disconnect':
          state.connected = false;
          mirror(false);
          events.natsDisconnected({ server: s.server });
          onDisconnect(`disconnected from ${s.server}`);
          break;
        case 'staleConnection':
          events.natsStale({});
          // The socket was reset as the client found it stale (resetOnStale), unless that could not be set up.
          if (!resets) kickConnection(nc);
          break;
        case 'reconnect':
          state.connected = true;
          state.since = Date.now();
          mirror(true);
          events.natsReconnected({ server: s.server });
          break;
        case 'ldm':
          events.natsLameDuck({ server: s.server });
          break;
        case 'error':
          events.natsError({}, { error: s.error.message });
          break;
        case 'close':
          state.connected = false;
          mirror(false);
          break;
        default:
          break;
      }
    }
  })().catch(() => {});
  return state;
}
