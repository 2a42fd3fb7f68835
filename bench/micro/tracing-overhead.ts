/**
 * What tracing costs a request: the same gateway (spool on disk, its bus down so events stay spooled) with
 * `tracing` off, on, and on with sampleRatio 0 (spans made but not recorded), answering requests through Fastify's
 * inject (no sockets). Variants alternate over the reps, so a busy machine weighs on each alike; the figure is the
 * process's CPU time per request (median of the reps). The upstream of the proxy case runs in this process too. The collector is a local server
 * that takes every export.
 * Run: npx tsx bench/micro/tracing-overhead.ts [requests per rep, default 3000]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/settings/load.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { createGateway, type Gateway } from '../../src/gateway/gateway.js';

const N = Number(process.argv[2] ?? 3_000);
const REPS = 5;
const PIXEL = '/img/v1/?campaign=november&uid=u-12345&content=open&source=newsletter&medium=email';

const collector = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
});
await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/v1/traces`;
const upstream = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' }).end('ok'));
await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
const backend = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;

const closed = createServer();
await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
const closedPort = (closed.address() as AddressInfo).port;
await new Promise((resolve) => closed.close(resolve));

const variants: Record<string, Record<string, unknown>> = {
  off: { enabled: false },
  on: { enabled: true, endpoint, exportInterval: '1s' },
  'on, sampleRatio 0': { enabled: true, endpoint, sampleRatio: 0 },
};

async function gateway(tracing: Record<string, unknown>, dir: string): Promise<Gateway> {
  const config = parseConfig(
    {
      server: { listen: { host: '127.0.0.1', port: 0 } },
      admin: { enabled: false },
      log: { level: 'silent' },
      spool: { dir: join(dir, 'spool') },
      // A NATS bus that is down: events are spooled (the commit each tracking request waits for) and stay there,
      // so no consumer or store shares the process and the figure is the request's own.
      bus: { kind: 'nats', nats: { servers: [`nats://127.0.0.1:${closedPort}`] } },
      proxy: { routes: [{ path: '/app/', upstreams: [backend] }] },
      // One client sends everything here: a limited pixel is still answered 200 but records nothing.
      rateLimit: { enabled: false },
      tracing,
    },
    'bench',
    process.env,
  );
  const gw = await createGateway(config, { logger: createLogger('silent'), version: 'bench' });
  await gw.start();
  return gw;
}

const cases = [
  { name: 'pixel', url: PIXEL },
  { name: 'proxy', url: '/app/page' },
];
const results = new Map<string, number[]>();
const dirs: string[] = [];
const gateways = new Map<string, Gateway>();
for (const [name, tracing] of Object.entries(variants)) {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-trace-bench-'));
  dirs.push(dir);
  gateways.set(name, await gateway(tracing, dir));
}
for (let rep = 0; rep < REPS + 1; rep++) {
  for (const c of cases) {
    for (const [name, gw] of gateways) {
      const start = process.cpuUsage();
      for (let i = 0; i < N; i++) {
        const res = await gw.main.inject({ method: 'GET', url: c.url, headers: { host: 'www.example.com', 'user-agent': 'Mozilla/5.0 bench' } });
        if (res.statusCode !== 200) throw new Error(`${c.name} ${name}: ${res.statusCode}`);
      }
      const used = process.cpuUsage(start);
      // The first rep warms up (JIT, caches) and is not counted.
      if (rep > 0) results.set(`${c.name} | ${name}`, [...(results.get(`${c.name} | ${name}`) ?? []), (used.user + used.system) / N]);
    }
  }
}
for (const gw of gateways.values()) await gw.shutdown();
for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
collector.close();
upstream.close();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
console.log('| request | tracing | µs CPU/request (median) | vs off |');
console.log('|---|---|---|---|');
for (const c of cases) {
  const off = median(results.get(`${c.name} | off`) ?? []);
  for (const name of Object.keys(variants)) {
    const m = median(results.get(`${c.name} | ${name}`) ?? []);
    console.log(`| ${c.name} | ${name} | ${m.toFixed(1)} | ${(m / off).toFixed(2)} |`);
  }
}
