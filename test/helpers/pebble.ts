import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { Telemetry } from '../../src/telemetry/telemetry.js';
import { freePort, portAnswers } from './net.js';
import { waitFor } from './wait.js';

/**
 * A private ACME CA for tests: Debian's `pebble` plus `pebble-challtestsrv` as its DNS server, on free loopback ports.
 * Pebble validates HTTP-01 for real, against 127.0.0.1:<httpPort> (pebble's `httpPort`).
 */
export interface Pebble {
  readonly directoryUrl: string;
  /** PEM file of pebble's own HTTPS certificate: the `acme.caBundle` for talking to it. */
  readonly caBundlePath: string;
  /** Root of the chain pebble issues (generated anew at each start). */
  rootCertificate(): Promise<string>;
  /** Makes `host` resolve to `address` for pebble's validation. */
  addARecord(host: string, address?: string): Promise<void>;
  /** Output of both processes, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

export interface PebbleOptions {
  /** Port pebble connects to for HTTP-01 validation. */
  httpPort: number;
  /** Lifetime of issued certificates, in seconds. */
  certificateValidityPeriod?: number;
}

export async function startPebble({ httpPort, certificateValidityPeriod = 3600 }: PebbleOptions): Promise<Pebble> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-pebble-'));
  const [acmePort, managementPort, dnsPort, challtestPort, tlsPort] = await Promise.all([
    freePort(), freePort(), freePort(), freePort(), freePort(),
  ]);
  const caBundlePath = join(dir, 'cert.pem');
  // pebble's own listener needs a certificate for 127.0.0.1; the Debian package ships none.
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-keyout', join(dir, 'key.pem'), '-out', caBundlePath, '-subj', '/CN=pebble',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ], { stdio: 'ignore' });
  const config = {
    pebble: {
      listenAddress: `127.0.0.1:${acmePort}`,
      managementListenAddress: `127.0.0.1:${managementPort}`,
      certificate: caBundlePath,
      privateKey: join(dir, 'key.pem'),
      httpPort,
      tlsPort,
      ocspResponderURL: '',
      externalAccountBindingRequired: false,
      certificateValidityPeriod,
    },
  };
  await writeFile(join(dir, 'pebble-config.json'), JSON.stringify(config));

  const log: string[] = [];
  const children: ChildProcess[] = [];
  const run = (command: string, args: string[], env: Record<string, string> = {}) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => log.push(`${command}: ${chunk.toString()}`);
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('error', (err) => log.push(`${command}: ${err.message}`));
    children.push(child);
  };

  run('pebble-challtestsrv', [
    '-dns01', `127.0.0.1:${dnsPort}`, '-management', `127.0.0.1:${challtestPort}`,
    '-http01', '', '-https01', '', '-tlsalpn01', '', '-defaultIPv6', '',
  ]);
  // NOSLEEP: validate at once rather than after a random pause; NONCEREJECT=0: no deliberate badNonce errors, so a
  // failure in a test is a real one. Validation itself stays real (no PEBBLE_VA_ALWAYS_VALID).
  run('pebble', ['-config', join(dir, 'pebble-config.json'), '-dnsserver', `127.0.0.1:${dnsPort}`], {
    PEBBLE_VA_NOSLEEP: '1',
    PEBBLE_WFE_NONCEREJECT: '0',
  });

  const ca = readFileSync(caBundlePath);
  const directoryUrl = `https://127.0.0.1:${acmePort}/dir`;
  const stop = async () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, 'SIGTERM');
    }
    await waitFor('pebble processes to exit', () => children.every((c) => c.exitCode !== null || c.signalCode !== null));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitFor('the pebble directory', async () => (await httpsGet(directoryUrl, ca)).includes('newOrder'), {
      timeoutMs: 30_000,
    });
    await waitFor('pebble-challtestsrv', () => portAnswers(challtestPort), { timeoutMs: 30_000 });
  } catch (err) {
    await stop();
    throw new Error(`pebble did not start: ${(err as Error).message}\n${log.join('')}`, { cause: err });
  }

  return {
    directoryUrl,
    caBundlePath,
    rootCertificate: () => httpsGet(`https://127.0.0.1:${managementPort}/roots/0`, ca),
    async addARecord(host, address = '127.0.0.1') {
      const res = await fetch(`http://127.0.0.1:${challtestPort}/add-a`, {
        method: 'POST',
        body: JSON.stringify({ host, addresses: [address] }),
      });
      if (!res.ok) throw new Error(`pebble-challtestsrv /add-a answered ${res.status}`);
    },
    output: () => log.join(''),
    stop,
  };
}

function httpsGet(url: string, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        if (res.statusCode === 200) resolve(body);
        else reject(new Error(`GET ${url}: ${res.statusCode} ${body}`));
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** The `tls.acme` fields that point a gateway at this pebble, with a contact and the terms accepted. */
export function pebbleAcme(pebble: Pebble, dir: string) {
  return {
    enabled: true,
    email: 'ops@gatehouse.internal',
    acceptTermsOfService: true,
    directoryUrl: pebble.directoryUrl,
    caBundle: pebble.caBundlePath,
    dir,
  };
}

/** The value of one counter series of `telemetry` (0 when it was never incremented). */
export async function counter(telemetry: Telemetry, metric: string, labels: Record<string, string>): Promise<number> {
  const found = telemetry.registry.getSingleMetric(metric);
  if (!found) return 0;
  const { values } = await found.get();
  return values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;
}

/** One HTTPS request on a fresh connection, verifying the chain against `ca` and the name against `servername`. */
export function tlsGet(port: number, servername: string, ca: string): Promise<{ body: string; serialNumber: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, servername, ca, agent: false, headers: { host: servername } }, (res) => {
      const serialNumber = (res.socket as TLSSocket).getPeerCertificate().serialNumber.toLowerCase();
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ body, serialNumber }));
    });
    req.on('error', reject);
    req.end();
  });
}
