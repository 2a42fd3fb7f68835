import { readFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';

/**
 * Ports handed to child processes (nats-server, pebble, gateways) are bound by them only later. A port from the
 * kernel's ephemeral range can be taken in between by any outgoing connection or `listen(0)` on the machine, so the
 * ports come from below that range, from a slice of their own per test worker (`VITEST_POOL_ID`), and are never
 * handed out twice by one process.
 */
const SLICE = 1_200;
const SLICES = 8;

function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 0 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

const sliceBase = (() => {
  const base = ephemeralLow() - SLICE * SLICES;
  if (base < 1_024) return undefined;
  const pool = Number(process.env.VITEST_POOL_ID ?? 0);
  const index = Number.isInteger(pool) && pool > 0 ? pool % SLICES : process.pid % SLICES;
  return base + index * SLICE;
})();
let cursor = 0;

function bindable(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(undefined));
    srv.listen(port, '127.0.0.1', () => {
      const bound = (srv.address() as { port: number }).port;
      srv.close(() => resolve(bound));
    });
  });
}

/** A free TCP port on 127.0.0.1 for a server started later (see above); bound once to check, then released. */
export async function freePort(): Promise<number> {
  if (sliceBase !== undefined) {
    for (let tries = 0; tries < SLICE; tries++) {
      const port = sliceBase + (cursor++ % SLICE);
      const bound = await bindable(port);
      if (bound !== undefined) return bound;
    }
  }
  const bound = await bindable(0);
  if (bound === undefined) throw new Error('no free TCP port on 127.0.0.1');
  return bound;
}

/** True when something accepts TCP connections on host:port. */
export function portAnswers(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Opens a raw connection, writes `text`, and resolves with everything received until the server closes it. */
export function rawExchange(port: number, text: string | Buffer, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host });
    let received = '';
    socket.on('data', (d) => (received += d.toString()));
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
    socket.write(text);
  });
}
