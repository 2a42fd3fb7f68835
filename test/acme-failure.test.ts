import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer as createHttpServer } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Telemetry } from '../src/telemetry/telemetry.js';
import { createLogger } from '../src/telemetry/logger.js';
import { createCertificateManager, type CertificateManager } from '../src/tls/cert-manager.js';
import { decodeTlsConfig } from '../src/tls/config.js';
import { acmeChallengeToken } from '../src/tls/http-redirect.js';
import { startPebble, type Pebble } from './helpers/pebble.js';
import { freePort } from './helpers/net.js';
import { waitFor } from './helpers/wait.js';

// Resolves to 127.0.0.2, where nothing listens: pebble's validation fails for real.
const UNREACHABLE = 'unreachable.gatehouse.internal';

describe('ACME failures', () => {
  let pebble: Pebble;
  let dir: string;
  let manager: CertificateManager | undefined;
  const telemetry = new Telemetry(createLogger('silent'), { defaultMetrics: false });
  const challengeServer = createHttpServer((req, res) => {
    const token = acmeChallengeToken(new URL(req.url ?? '/', 'http://x').pathname);
    const body = token ? manager?.challengeResponse(token, req.headers.host) : undefined;
    res.writeHead(body ? 200 : 404).end(body);
  });

  beforeAll(async () => {
    const httpPort = await freePort();
    await new Promise<void>((resolve) => challengeServer.listen(httpPort, '127.0.0.1', resolve));
    pebble = await startPebble({ httpPort });
    await pebble.addARecord(UNREACHABLE, '127.0.0.2');
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-acme-fail-'));
  });

  afterAll(async () => {
    await manager?.close();
    await new Promise((resolve) => challengeServer.close(resolve));
    await pebble?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('keeps retrying a failed order with backoff, reports it, and never throws out of the loop', async () => {
    const config = decodeTlsConfig({
      enabled: true,
      acme: {
        enabled: true,
        email: 'ops@gatehouse.internal',
        acceptTermsOfService: true,
        directoryUrl: pebble.directoryUrl,
        caBundle: pebble.caBundlePath,
        domains: [UNREACHABLE],
        dir,
        retry: { minDelay: '100ms', maxDelay: '1s' },
      },
    });
    manager = createCertificateManager({ config, telemetry });
    await manager.start(); // start-up does not wait on (or fail with) the CA
    await waitFor('two failed attempts', async () => (await failures()) >= 2);
    expect(manager.list()).toEqual([]);
    const health = await manager.healthcheck();
    expect(health.status).toBe('down');
    expect(health.status === 'down' && health.reason).toContain(`no certificate for ${UNREACHABLE}`);

    const error = await manager.renewNow(UNREACHABLE).catch((err: unknown) => err);
    expect(error).toMatchObject({ name: 'TlsError', code: 'TLS_ACME_ORDER_FAILED' });
    expect((error as Error).cause).toBeDefined();
  });

  async function failures(): Promise<number> {
    const metric = telemetry.registry.getSingleMetric('gatehouse_cert_renew_failed_total');
    const values = metric ? (await metric.get()).values : [];
    return values.find((v) => v.labels.name === UNREACHABLE && v.labels.code === 'TLS_ACME_ORDER_FAILED')?.value ?? 0;
  }
});
