import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../../settings/schema.js';
import type { Telemetry } from '../../telemetry/telemetry.js';
import type { AppSwitch } from '../../server/app-switch.js';
import { createCertificateManager, type CertificateManager } from '../../tls/index.js';
import type { TlsConfig } from '../../tls/config.js';
import { UpstreamDirectory } from '../../proxy/index.js';
import { buildEdgeApp, type EdgeDeps } from '../edge-app.js';
import { ConfigReloadFailedError } from './reload-errors.js';

/** The parts of a gateway that follow the running config; a reload replaces them together. */
export interface LiveEdge {
  config: Readonly<Config>;
  certs?: CertificateManager;
}

export interface ApplyDeps {
  readonly live: LiveEdge;
  readonly apps: AppSwitch;
  /** The directory the admin API and the upstream gauges read: it lists the new app's pools after the swap. */
  readonly upstreams: UpstreamDirectory;
  readonly edge: EdgeDeps;
  readonly telemetry: Telemetry;
  readonly logger: Logger;
}

/**
 * Builds everything the new config decides (the app with its routes, upstream pools, limiters and tracking context;
 * a certificate manager when the certificate settings changed) and only then swaps it in: a part that cannot be
 * built (a GeoIP file, a certificate) fails the reload with nothing changed. After the swap every new request and
 * handshake sees the new config; the old app closes once its last request has finished.
 */
export async function applyEdgeConfig(next: Readonly<Config>, deps: ApplyDeps): Promise<void> {
  const { live } = deps;
  const newCerts = live.certs && certificatesChanged(live.config.tls, next.tls) ? createCertificateManager({ config: next.tls, telemetry: deps.telemetry }) : undefined;
  const directory = new UpstreamDirectory();
  let app: FastifyInstance | undefined;
  try {
    await newCerts?.start();
    app = await buildEdgeApp(next, deps.edge, directory);
    await app.ready();
  } catch (err) {
    await app?.close().catch(() => undefined);
    await newCerts?.close().catch(() => undefined);
    throw new ConfigReloadFailedError(`the new config could not be applied: ${(err as Error).message}`, { cause: err });
  }
  if (deps.apps.stopped) {
    // Shutdown began while the new config was being built: nothing is swapped, and what was built is closed.
    await app.close().catch(() => undefined);
    await newCerts?.close().catch(() => undefined);
    throw new ConfigReloadFailedError('the gateway is shutting down');
  }
  const oldCerts = live.certs;
  live.config = next;
  if (newCerts) live.certs = newCerts;
  deps.upstreams.replaceWith(directory);
  deps.logger.level = next.log.level;
  void deps.apps.swap(app, next.server.shutdownTimeout);
  // Handshakes from now on use the new manager; the old one stops its renewals and watchers.
  if (newCerts) void oldCerts?.close().catch(() => undefined);
}

/** Whether the certificate manager must be built again: any TLS setting but HSTS, which the app sends. */
function certificatesChanged(a: TlsConfig, b: TlsConfig): boolean {
  const { hsts: _a, ...restA } = a;
  const { hsts: _b, ...restB } = b;
  return JSON.stringify(restA) !== JSON.stringify(restB);
}
