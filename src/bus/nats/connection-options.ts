import { readFileSync } from 'node:fs';
import { credsAuthenticator, nkeyAuthenticator, type Authenticator } from '@nats-io/transport-node';
import type { NodeConnectionOptions, Server } from '@nats-io/transport-node';
import type { NatsConfig } from '../config.js';
import { NatsConfigError } from './errors.js';

/**
 * Client options from the config slice. Files are read here, so a wrong path fails at start with its name
 * rather than at the first reconnect. Server certificates are always verified: there is no switch to turn
 * verification off, and TLS is used whenever a CA, a client certificate or a tls:// URL is configured.
 */
export function connectionOptions(config: NatsConfig, avoid: () => string | undefined = () => undefined): NodeConnectionOptions {
  return {
    servers: [...config.servers],
    name: 'gatehouse',
    timeout: config.connectTimeout,
    // The gateway's spool bridges any outage, so the client never gives up on the cluster.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1_000,
    // Notice a dead peer in 4-6 s even when no TCP reset arrives (a partition rather than a crash): a ping every
    // 2 s, stale when two are unanswered. The client's own close of a stale connection then waits on a write
    // to the dead socket; connection-status.ts drops the socket instead (connection-kick.ts), so the client
    // moves on at once. Pings are not faster so a lossy link (30% loss delays a PONG by retransmits of about a
    // second) keeps its connection.
    pingInterval: 2_000,
    maxPingOut: 2,
    reconnectToServer: (pool) => leastRecentlyDialed(pool, avoid()),
    // Without this the client builds two Error objects (with stack traces) for every request, a JetStream publish
    // included, only to give a failure the caller's stack: about a tenth of the gateway's CPU under load
    // (bench/RESULTS.md). Failures are still raised, with their message and cause.
    noAsyncTraces: true,
    ...auth(config),
    ...tls(config),
  };
}

/**
 * The next server to dial: the one dialed longest ago (never dialed first), other than `avoid` (host:port, the
 * server the bus's other connection is on) while the pool has another. The client's own order dials the server
 * it just lost first again (its pool rotates only from the second attempt), which across a partition costs a
 * whole connect timeout before another node is tried.
 */
export function leastRecentlyDialed(pool: ReadonlyArray<Server>, avoid?: string): Server | null {
  let best: Server | null = null;
  for (const s of pool) {
    if (s.listen === avoid && pool.length > 1) continue;
    if (best === null || s.lastConnect < best.lastConnect) best = s;
  }
  return best;
}

function auth(config: NatsConfig): Partial<NodeConnectionOptions> {
  const methods = [
    config.user || config.pass ? 'user/pass' : '',
    config.token ? 'token' : '',
    config.creds ? 'creds' : '',
    config.nkey ? 'nkey' : '',
  ].filter(Boolean);
  if (methods.length > 1) {
    throw new NatsConfigError(`NATS auth: set only one of user/pass, token, creds, nkey (got ${methods.join(', ')})`);
  }
  if (config.user || config.pass) return { user: config.user, pass: config.pass };
  if (config.token) return { token: config.token };
  if (config.creds) return { authenticator: fileAuthenticator('creds', config.creds, (b) => credsAuthenticator(b)) };
  if (config.nkey) {
    return { authenticator: fileAuthenticator('nkey', config.nkey, (b) => nkeyAuthenticator(trimSeed(b))) };
  }
  return {};
}

function fileAuthenticator(kind: string, path: string, build: (bytes: Uint8Array) => Authenticator): Authenticator {
  return build(readConfigFile(`bus.nats.${kind}`, path));
}

/** A seed file may end with a newline; the seed itself is the first non-empty line. */
function trimSeed(bytes: Uint8Array): Uint8Array {
  const line = new TextDecoder().decode(bytes).split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  return new TextEncoder().encode(line.trim());
}

function tls(config: NatsConfig): Partial<NodeConnectionOptions> {
  const { ca, cert, key } = config.tls;
  const wantsTls = Boolean(ca || cert || key) || config.servers.some((s) => s.startsWith('tls://'));
  if (!wantsTls) return {};
  if (Boolean(cert) !== Boolean(key)) throw new NatsConfigError('NATS TLS: tls.cert and tls.key go together');
  return {
    tls: {
      ...(ca ? { ca: readText('bus.nats.tls.ca', ca) } : {}),
      ...(cert ? { cert: readText('bus.nats.tls.cert', cert) } : {}),
      ...(key ? { key: readText('bus.nats.tls.key', key) } : {}),
    },
  };
}

function readText(field: string, path: string): string {
  return new TextDecoder().decode(readConfigFile(field, path));
}

function readConfigFile(field: string, path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new NatsConfigError(`${field}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, {
      cause: err,
    });
  }
}
