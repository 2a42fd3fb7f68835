import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { freePort } from './net.js';
import { waitFor } from './wait.js';

/**
 * A real redis-server for tests: a free loopback port, no persistence, ready once it answers PING, stopped by
 * its PID. The Debian package `redis-server` provides the binary.
 */

const REDIS_SERVER = process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server';

export interface RedisHandle {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** SIGTERM by PID, SIGKILL if it lingers; resolves once the process has exited. */
  stop(): Promise<void>;
}

export async function startRedis(): Promise<RedisHandle> {
  const port = await freePort();
  const proc = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The tail of its output, to say why it did not come up.
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-2_000));
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  const exited = once(proc, 'exit').then(() => undefined);
  const pid = proc.pid;
  if (pid === undefined) throw new Error(`could not start ${REDIS_SERVER}`);
  const url = `redis://127.0.0.1:${port}`;
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    process.kill(pid, 'SIGTERM');
    const timer = setTimeout(() => proc.exitCode === null && process.kill(pid, 'SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitFor(`redis-server on port ${port} to answer PING`, () => ping(url), { timeoutMs: 20_000 });
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${output}`, { cause: err });
  }
  return { url, port, pid, stop };
}

async function ping(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}
