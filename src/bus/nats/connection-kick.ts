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
    resetOrDestroy(socket);
    return;
  }
  nc.reconnect().catch(() => undefined);
}

/**
 * A reset (RST), not a close: the kernel drops what the socket still holds. A closed socket would go on sending
 * it from the orphaned connection (FIN-WAIT), with TCP's backoff, for minutes across a partition or a lossy link,
 * so packs the publisher has given up on (and re-publishes on another connection) could still reach the stream
 * long after, past the stream's duplicate window. A TLS socket has no TCP handle of its own to reset
 * (`ERR_INVALID_HANDLE_TYPE`): it is destroyed, and what it holds may still go out. Resetting the plain socket it
 * was upgraded from (`_handle._parentWrap`) is no way out: a write to the TLS socket before it has closed, which
 * a publish can make at any time, then crashes the process (a segfault in Node 20 and 24).
 */
function resetOrDestroy(socket: Socket): void {
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

interface Internals {
  protocol?: { transport?: { socket?: unknown }; disconnect?: () => void };
}

/**
 * Makes the client's own drop of a stale connection (pings unanswered) reset its socket first. The client closes
 * it gracefully, after a last write: the kernel then keeps sending what the socket held from the orphaned
 * connection (see resetOrDestroy), and, when its send buffer is full, the close waits for the network. Returns
 * false when the client's shape changed and the patch could not be made (`kickConnection` on the stale status
 * still drops the socket then).
 */
export function resetOnStale(nc: NatsConnection): boolean {
  const protocol = (nc as unknown as Internals).protocol;
  const disconnect = protocol?.disconnect;
  if (!protocol || typeof disconnect !== 'function') return false;
  protocol.disconnect = () => {
    const socket = socketOf(nc);
    if (socket && !socket.destroyed) resetOrDestroy(socket);
    disconnect.call(protocol);
  };
  return true;
}

function socketOf(nc: NatsConnection): Socket | undefined {
  const socket = (nc as unknown as Internals).protocol?.transport?.socket;
  if (socket && typeof socket === 'object' && typeof (socket as Socket).destroy === 'function') return socket as Socket;
  return undefined;
}
