import { describe, expect, it } from 'vitest';
import type { Server } from '@nats-io/transport-node';
import { leastRecentlyDialed } from './connection-options.js';

const server = (listen: string, lastConnect: number): Server => {
  const [hostname = '', port = '0'] = listen.split(':');
  return { hostname, port: Number(port), listen, src: listen, tlsName: '', reconnects: 0, lastConnect, gossiped: false, didConnect: lastConnect > 0 };
};

describe('leastRecentlyDialed', () => {
  it('dials the server dialed longest ago, a never-dialed one first', () => {
    const pool = [server('a:1', 300), server('b:1', 100), server('c:1', 0)];
    expect(leastRecentlyDialed(pool)?.listen).toBe('c:1');
    expect(leastRecentlyDialed(pool.slice(0, 2))?.listen).toBe('b:1');
  });

  it("keeps off the server the bus's other connection is on while the pool has another", () => {
    const pool = [server('a:1', 300), server('b:1', 100), server('c:1', 0)];
    expect(leastRecentlyDialed(pool, 'c:1')?.listen).toBe('b:1');
    expect(leastRecentlyDialed([server('c:1', 0)], 'c:1')?.listen).toBe('c:1'); // the only one: dialed all the same
  });

  it('has nothing to dial in an empty pool', () => {
    expect(leastRecentlyDialed([])).toBeNull();
  });
});
