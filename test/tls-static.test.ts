import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { copyFileSync, readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import { request } from 'node:https';
import { Telemetry } from '../src/telemetry/telemetry.js';
import { createLogger } from '../src/telemetry/logger.js';
import { createCertificateManager, type CertificateManager } from '../src/tls/cert-manager.js';
import { decodeTlsConfig } from '../src/tls/config.js';
import { tlsFileChecks } from '../src/tls/cross-checks.js';
import { tlsServerOptions } from '../src/tls/server-options.js';
import { freePort } from './helpers/net.js';
import { waitFor } from './helpers/wait.js';

const telemetry = new Telemetry(createLogger('silent'), { defaultMetrics: false });

describe('static certificates by SNI', () => {
  let dir: string;
  let ca: string;
  let manager: CertificateManager;
  let server: Http2SecureServer;
  let port: number;
  const file = (name: string) => join(dir, name);

  /** A leaf signed by the test CA (OpenSSL 3: `req -x509 -CA`). */
  const leaf = (base: string, names: string[]) =>
    openssl('req', '-x509', '-CA', file('ca.pem'), '-CAkey', file('ca.key'), ...newKey(file(`${base}.key`)),
      '-out', file(`${base}.pem`), '-days', '1', '-subj', `/CN=${names[0]}`,
      '-addext', `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-static-'));
    openssl('req', '-x509', ...newKey(file('ca.key')), '-out', file('ca.pem'), '-days', '1', '-subj', '/CN=Gatehouse Test CA');
    ca = readFileSync(file('ca.pem'), 'utf8');
    leaf('a', ['a.gatehouse.internal']);
    leaf('b', ['b.gatehouse.internal']);
    leaf('wild', ['*.c.gatehouse.internal']);
    const config = decodeTlsConfig({
      enabled: true,
      defaultName: 'a.gatehouse.internal',
      certificates: [
        { names: ['a.gatehouse.internal'], cert: file('a.pem'), key: file('a.key') },
        { names: ['b.gatehouse.internal'], cert: file('b.pem'), key: file('b.key') },
        { names: ['*.c.gatehouse.internal'], cert: file('wild.pem'), key: file('wild.key') },
      ],
    });
    manager = createCertificateManager({ config, telemetry });
    await manager.start();
    server = createSecureServer(tlsServerOptions(config, manager.sniCallback), (_req, res) => res.end('static ok'));
    port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await manager?.close();
    if (server) await new Promise((resolve) => server.close(resolve));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves each name its own certificate, wildcards one label deep', async () => {
    expect((await handshake(port, 'a.gatehouse.internal', ca)).subject).toBe('a.gatehouse.internal');
    expect((await handshake(port, 'b.gatehouse.internal', ca)).subject).toBe('b.gatehouse.internal');
    expect((await handshake(port, 'x.c.gatehouse.internal', ca)).subject).toBe('*.c.gatehouse.internal');
    expect(manager.list().map((l) => [l.name, l.source, l.issuer])).toEqual([
      ['*.c.gatehouse.internal', 'static', 'Gatehouse Test CA'],
      ['a.gatehouse.internal', 'static', 'Gatehouse Test CA'],
      ['b.gatehouse.internal', 'static', 'Gatehouse Test CA'],
    ]);
  });

  it('answers an unknown name with the default certificate (which then fails verification for that name)', async () => {
    await expect(handshake(port, 'unknown.gatehouse.internal', ca)).rejects.toThrow(/does not match|altnames/i);
    expect(manager.secureContextFor('unknown.gatehouse.internal')).toBe(manager.secureContextFor('a.gatehouse.internal'));
  });

  it('offers HTTP/2 by ALPN and still serves HTTP/1.1 clients', async () => {
    expect((await handshake(port, 'a.gatehouse.internal', ca, ['h2', 'http/1.1'])).alpn).toBe('h2');
    expect((await handshake(port, 'a.gatehouse.internal', ca, ['http/1.1'])).alpn).toBe('http/1.1');
    const body = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, servername: 'b.gatehouse.internal', ca, agent: false }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
    expect(body).toBe('static ok');
  });

  it('fails the handshake for unknown names when there is no default', async () => {
    const strict = createCertificateManager({
      config: decodeTlsConfig({ certificates: [{ names: ['b.gatehouse.internal'], cert: file('b.pem'), key: file('b.key') }] }),
      telemetry,
    });
    await strict.start();
    const outcome = await new Promise<Error | null>((resolve) =>
      strict.sniCallback('unknown.gatehouse.internal', (err) => resolve(err)),
    );
    expect(outcome).toMatchObject({ code: 'TLS_UNKNOWN_NAME' });
    await strict.close();
  });

  it('refuses to start with a key that does not belong to its certificate, and tlsFileChecks says why', async () => {
    const config = decodeTlsConfig({
      certificates: [
        { names: ['a.gatehouse.internal'], cert: file('a.pem'), key: file('b.key') },
        { names: ['z.gatehouse.internal'], cert: file('b.pem'), key: file('b.key') },
        { names: ['m.gatehouse.internal'], cert: file('missing.pem'), key: file('missing.key') },
      ],
    });
    const broken = createCertificateManager({ config, telemetry });
    await expect(broken.start()).rejects.toMatchObject({ code: 'TLS_STATIC_CERT_INVALID' });
    await broken.close();
    const issues = tlsFileChecks(config);
    expect(issues.map((i) => i.path)).toEqual(['/tls/certificates/0', '/tls/certificates/1/names', '/tls/certificates/2']);
    expect(issues[1]?.message).toContain('does not cover');
    expect(issues[2]?.message).toContain('ENOENT');
  });
});

describe('static certificate files replaced while serving', () => {
  let dir: string;
  const file = (name: string) => join(dir, name);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves a changed pair from the next handshake, and keeps the old one while the new files do not match', async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-reload-'));
    openssl('req', '-x509', ...newKey(file('ca.key')), '-out', file('ca.pem'), '-days', '1', '-subj', '/CN=Gatehouse Test CA');
    const ca = readFileSync(file('ca.pem'), 'utf8');
    const leaf = (base: string) =>
      openssl('req', '-x509', '-CA', file('ca.pem'), '-CAkey', file('ca.key'), ...newKey(file(`${base}.key`)),
        '-out', file(`${base}.pem`), '-days', '1', '-subj', '/CN=r.gatehouse.internal', '-addext', 'subjectAltName=DNS:r.gatehouse.internal');
    leaf('site');
    leaf('next');
    openssl('req', '-x509', '-CA', file('ca.pem'), '-CAkey', file('ca.key'), ...newKey(file('other.key')),
      '-out', file('other.pem'), '-days', '1', '-subj', '/CN=other.gatehouse.internal', '-addext', 'subjectAltName=DNS:other.gatehouse.internal');
    const logged: string[] = [];
    const watched = new Telemetry(createLogger('info', { write: (line: string) => void logged.push(line) }), { defaultMetrics: false });
    const config = decodeTlsConfig({
      certificates: [{ names: ['r.gatehouse.internal'], cert: file('site.pem'), key: file('site.key') }],
      certificateCheckInterval: '20ms',
    });
    const manager = createCertificateManager({ config, telemetry: watched });
    await manager.start();
    const server = createSecureServer(tlsServerOptions(config, manager.sniCallback), (_req, res) => res.end('ok'));
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      const serial = async () => (await handshake(port, 'r.gatehouse.internal', ca)).serial;
      const first = await serial();
      const metric = async (name: string) => (await watched.metrics()).match(new RegExp(`^${name}\\{[^}]*\\} (\\d+)`, 'm'))?.[1];

      // A valid pair for another name would fail every handshake for this one: refused.
      copyFileSync(file('other.key'), file('site.key'));
      copyFileSync(file('other.pem'), file('site.pem'));
      await waitFor('the pair for another name to be refused', async () => /does not cover r\.gatehouse\.internal/.test(logged.join('')));
      expect(await serial()).toBe(first);
      // The key is written first, as a deploy that copies one file at a time does: the pair does not match yet.
      const refusals = Number(await metric('gatehouse_cert_reload_failed_total'));
      copyFileSync(file('next.key'), file('site.key'));
      await waitFor('the mismatched pair to be refused', async () => Number(await metric('gatehouse_cert_reload_failed_total')) > refusals);
      expect(await serial()).toBe(first);

      copyFileSync(file('next.pem'), file('site.pem'));
      const next = new X509Certificate(readFileSync(file('next.pem'))).serialNumber;
      await waitFor('the new certificate on the next handshake', async () => (await serial()) === next);
      expect(next).not.toBe(first);
      expect(await metric('gatehouse_cert_reloaded_total')).toBe('1');
      expect(manager.list().map((l) => [l.name, l.serialNumber])).toEqual([['r.gatehouse.internal', next.toLowerCase()]]);
    } finally {
      await manager.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

function newKey(path: string): string[] {
  return ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', path];
}

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { stdio: 'ignore' });
}

function handshake(port: number, servername: string, ca: string, ALPNProtocols?: string[]) {
  return new Promise<{ subject: string | undefined; alpn: string | false | null; serial: string }>((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername, ca, ALPNProtocols }, () => {
      const peer = socket.getPeerCertificate();
      const subject = peer.subject.CN;
      resolve({ subject: Array.isArray(subject) ? subject.join() : subject, alpn: socket.alpnProtocol, serial: peer.serialNumber });
      socket.end();
    });
    socket.on('error', reject);
  });
}
