/* global fetch */
// Starting the servers under test (pinned to the server core) and reading Gatehouse's own metrics.
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { startPinned, stop, waitPort } from './proc.mjs';
import { freePort } from './ports.mjs';
import { gatehouseConf, nginxPeerConf, caddyConf } from './peers.mjs';

const ROOT = join(import.meta.dirname, '../..');

/**
 * `node dist/cli.js serve` (BENCH_NODE_ARGS adds flags, e.g. --cpu-prof). `opts.root`: another checkout's build
 * (the `--baseline=<dir>` target, measured in the same run); `opts.nodeArgs`: flags of that target only.
 */
export async function startGatehouse(dir, core, opts) {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const adminPort = await freePort();
  const tlsPort = opts.tls ? await freePort() : undefined;
  const path = gatehouseConf(dir, { ...opts, port, adminPort, ...(opts.tls ? { tls: { ...opts.tls, port: tlsPort } } : {}) });
  const nodeArgs = [...(await startupFlags(opts.root ?? ROOT)), ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean), ...(opts.nodeArgs ?? [])];
  const child = startPinned(core, process.execPath, [...nodeArgs, join(opts.root ?? ROOT, 'dist/cli.js'), 'serve', '--config', path], {
    cwd: dir,
    logFile: join(dir, 'gatehouse.log'),
  });
  await waitPort(port, { child });
  if (tlsPort) await waitPort(tlsPort, { child });
  if (opts.workers > 1) await waitMetrics(adminPort, (m) => (m.gatehouse_worker_started_total ?? 0) >= opts.workers);
  return { child, pid: child.pid, port, tlsPort, adminPort, base: `http://127.0.0.1:${port}`, stop: () => stop(child, 30_000) };
}

/**
 * The V8 flags a build's serving and consuming processes are started with (as `npm start`, the image and the systemd
 * units do); none before they existed. The consumer probes and `consume` get them too.
 */
export async function startupFlags(root) {
  const tuning = await import(join(root, 'dist/server/v8-tuning.js')).catch(() => ({}));
  return tuning.SERVING_STARTUP_FLAGS ?? [];
}

export async function startNginx(dir, core, opts) {
  const port = await freePort();
  const tlsPort = await freePort();
  const conf = nginxPeerConf(dir, { ...opts, port, tlsPort });
  const child = startPinned(core, 'nginx', ['-p', dir, '-e', join(dir, 'error.log'), '-c', conf], { logFile: join(dir, 'nginx.out') });
  await waitPort(port, { child });
  await waitPort(tlsPort, { child });
  return { child, pid: child.pid, port, tlsPort, base: `http://127.0.0.1:${port}`, stop: () => stop(child) };
}

export async function startCaddy(dir, core, { upstreamPort }) {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const conf = caddyConf(dir, { port, upstreamPort });
  const child = startPinned(core, 'caddy', ['run', '--config', conf, '--adapter', 'caddyfile'], {
    env: { XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config'), HOME: dir },
    logFile: join(dir, 'caddy.log'),
  });
  await waitPort(port, { child });
  return { child, pid: child.pid, port, base: `http://127.0.0.1:${port}`, stop: () => stop(child) };
}

export async function startBareFastify(dir, core, { upstreamPort, tls }) {
  const port = await freePort();
  const args = [join(import.meta.dirname, 'bare-fastify.mjs'), ROOT, String(port), String(upstreamPort), ...(tls ? [tls.cert, tls.key] : [])];
  const child = startPinned(core, process.execPath, args, { logFile: join(dir, 'bare-fastify.log') });
  await waitPort(port, { child });
  return { child, pid: child.pid, port, base: `http://127.0.0.1:${port}`, ...(tls ? { tlsPort: port } : {}), stop: () => stop(child) };
}

/** Gatehouse's /metrics as { name: sum over label sets }. */
export async function metrics(adminPort) {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  const out = {};
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m) out[m[1]] = (out[m[1]] ?? 0) + Number(m[3]);
  }
  return out;
}

/**
 * Queueing inside Gatehouse, from its own /metrics (one process): the share of tracking requests slower than 100 ms
 * and 0.5 s, the longest event-loop delay since the previous scrape (prom-client resets it on each), and the group
 * commits slower than 100 ms. With `since` (an earlier result), the counts are those after it.
 */
export async function queueing(adminPort, since) {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  const value = (re) => Number(re.exec(text)?.[1] ?? NaN);
  const within = (le) => value(new RegExp(`^gatehouse_http_request_duration_seconds_bucket\\{le="${le}",[^}]*class="tracking"[^}]*\\} (\\S+)`, 'm'));
  const raw = {
    requests: value(/^gatehouse_http_request_duration_seconds_count\{[^}]*class="tracking"[^}]*\} (\S+)/m),
    within100ms: within('0.1'),
    within500ms: within('0.5'),
    commits: value(/^gatehouse_spool_commit_duration_seconds_count (\S+)/m),
    commitsWithin100ms: value(/^gatehouse_spool_commit_duration_seconds_bucket\{le="0.1"\} (\S+)/m),
  };
  const d = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v - (since?.raw[k] ?? 0)]));
  return {
    raw,
    requests: d.requests,
    over100msPct: (100 * (d.requests - d.within100ms)) / d.requests,
    over500msPct: (100 * (d.requests - d.within500ms)) / d.requests,
    loopDelayMaxMs: value(/^nodejs_eventloop_lag_max_seconds (\S+)/m) * 1000,
    commits: d.commits,
    commitsOver100ms: d.commits - d.commitsWithin100ms,
  };
}

export async function waitMetrics(adminPort, ok, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = await metrics(adminPort).catch(() => undefined);
    if (m && ok(m)) return m;
    if (Date.now() > deadline) throw new Error('Gatehouse metrics never reached the expected state');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
