import type { Server } from 'node:http';
import type { ServerConfig } from '../server/config.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { TlsServerOptions } from '../tls/server-options.js';
import type { AppSwitch } from '../server/app-switch.js';
import { plainServerFactory, secureServerFactory } from '../server/server-factory.js';
import { writeClientError } from '../server/client-error.js';
import { limitConnections } from '../server/connection-limit.js';

/**
 * The public listener, built once per process: its socket, connection hygiene and TLS stay across reloads, while
 * every request goes to the app of the running config through `apps`.
 */
export function mainListener(config: ServerConfig, apps: AppSwitch, telemetry: Telemetry, tls?: TlsServerOptions): Server {
  const server = tls ? secureServerFactory(config, tls)(apps.handle) : plainServerFactory(config)(apps.handle);
  server.on('clientError', writeClientError);
  // An upgrade request is one only when the running config has a WebSocket route for it to go to; otherwise it is
  // an ordinary request (Node's own rule when a server has no `upgrade` listener).
  // Node reads it per request (v24.9+); @types/node only declares it as a constructor option.
  (server as Server & { shouldUpgradeCallback: () => boolean }).shouldUpgradeCallback = apps.acceptsUpgrade;
  server.on('upgrade', apps.upgrade);
  limitConnections(server, config.maxConnections, telemetry, 'main');
  return server;
}
