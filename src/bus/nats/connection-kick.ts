import type { NatsConnection } from '@nats-io/transport-node';
import type { Socket } from 'node:net';

/**
 * Drops the connection's socket at once, so the client reconnects (to the next server of its pool) without first
 * waiting on a write to a dead peer.
 *
 * Why not only `nc.reconnect()` or the client's own stale-connection handling: both close the transport
 * "internally", which first awaits the write callback of a last (empty) write. Across a partition that callback
 * fires only when the kernel's send buffer drains, i.e. when the network heals or TCP gives up (minutes): the
 * client sat on the dead connection for the whole partition (issue 29). Destroying the socket settles that write
 * with an error and emits `close`, which the transport turns into a disconnect and the client into a reconnect.
 *
 * The socket is not public API; when the client's shape changes, this falls back to `nc.reconnect()`.
 */
export function kickConnection(nc: NatsConnection): void {
  const socket = socketOf(nc);
  if (socket && !socket.destroyed) {
    socket.destroy();
    return;
  }
  nc.reconnect().catch(() => undefined);
}

interface Internals {
  protocol?: { transport?: { socket?: unknown } };
}

function socketOf(nc: NatsConnection): Socket | undefined {
  const socket = (nc as unknown as Internals).protocol?.transport?.socket;
  if (socket && typeof socket === 'object' && typeof (socket as Socket).destroy === 'function') return socket as Socket;
  return undefined;
}
