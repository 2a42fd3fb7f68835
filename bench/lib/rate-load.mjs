// A fixed-rate load generator (wrk has no fixed rate): POSTs one ~500-byte event every 1/rate s on keep-alive
// connections, for the end-to-end lag scenario.  node rate-load.mjs URL RATE SECONDS
//
// It writes pre-built requests to raw sockets and reads only status lines and Content-Length: ~33 µs of CPU per
// request against ~55 with Node's HTTP client (10 s at 5,000/s against a bare server). It shares its core with
// NATS and the consumer, so what it saves goes to what the lag scenario measures. Requests on one connection are answered in
// order (HTTP/1.1 pipelining), so each connection keeps a queue of send times, and a new request goes to the
// connection with the fewest outstanding. A connection is retired after PER_CONNECTION requests (servers close
// connections after a number of requests, Gatehouse after server.maxRequestsPerSocket) and replaced.
// `slowUntil`: the end (s after the start) of the last 100 ms of sending in which a request waited over 100 ms for
// its answer, 0 if none did: how long a server that starts cold takes to catch up with the rate.
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { eventBody } from './bodies.mjs';

const [url, rateArg, secondsArg] = process.argv.slice(2);
const rate = Number(rateArg);
const seconds = Number(secondsArg);
const CONNECTIONS = 64;
const PER_CONNECTION = 500;
const u = new URL(url);
const body = Buffer.from(eventBody());
const request = Buffer.concat([
  Buffer.from(
    `POST ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
  ),
  body,
]);
let ok = 0;
let bad = 0;
let errors = 0;
const latencies = [];
const WINDOW_MS = 100;
const slowWindows = new Set();
let start = 0;

function open() {
  const socket = connect({ host: u.hostname, port: Number(u.port), noDelay: true });
  const conn = { socket, pending: [], buffer: Buffer.alloc(0), alive: true, used: 0 };
  socket.on('data', (chunk) => {
    conn.buffer = conn.buffer.length ? Buffer.concat([conn.buffer, chunk]) : chunk;
    for (;;) {
      const end = conn.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = conn.buffer.subarray(0, end).toString('latin1');
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
      if (conn.buffer.length < end + 4 + length) return;
      conn.buffer = conn.buffer.subarray(end + 4 + length);
      const status = Number(head.slice(9, 12));
      const sent = conn.pending.shift();
      if (sent !== undefined) {
        const latency = performance.now() - sent;
        latencies.push(latency);
        if (latency > WINDOW_MS) slowWindows.add(Math.floor((sent - start) / WINDOW_MS));
      }
      if (status >= 200 && status < 300) ok++;
      else bad++;
      if (conn.used >= PER_CONNECTION && conn.pending.length === 0) socket.destroy();
    }
  });
  const fail = () => {
    if (!conn.alive) return;
    conn.alive = false;
    errors += conn.pending.length;
    conn.pending.length = 0;
  };
  // A retired connection is out of `conns`: its remaining answers are still read, and its close is no failure.
  socket.on('error', fail);
  socket.on('close', fail);
  return conn;
}

const conns = Array.from({ length: CONNECTIONS }, open);
await Promise.all(conns.map((c) => new Promise((resolve) => (c.socket.connecting ? c.socket.once('connect', resolve) : resolve()))));

function send() {
  let best;
  for (const c of conns) if (c.alive && (!best || c.pending.length < best.pending.length)) best = c;
  if (!best) {
    errors++;
    return;
  }
  best.pending.push(performance.now());
  best.socket.write(request);
  best.used++;
  if (best.used >= PER_CONNECTION) {
    // Retired: it finishes what it has (closed by the data handler), a fresh one takes its place.
    conns[conns.indexOf(best)] = open();
  }
}

start = performance.now();
let sent = 0;
while (performance.now() - start < seconds * 1000) {
  const due = Math.floor(((performance.now() - start) / 1000) * rate);
  while (sent < due) {
    send();
    sent++;
  }
  await sleep(1);
}
const deadline = Date.now() + 10_000;
while (ok + bad + errors < sent && Date.now() < deadline) await sleep(20);
latencies.sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
const slowUntil = slowWindows.size ? ((Math.max(...slowWindows) + 1) * WINDOW_MS) / 1000 : 0;
process.stdout.write(`${JSON.stringify({ sent, ok, bad, errors, rate: sent / seconds, p50: pct(50), p99: pct(99), max: latencies.at(-1) ?? NaN, slowUntil })}\n`);
for (const c of conns) c.socket.destroy();
process.exit(0);
