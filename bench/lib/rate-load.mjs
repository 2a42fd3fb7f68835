// A fixed-rate load generator (wrk has no fixed rate): POSTs one ~500-byte event every 1/rate s on keep-alive
// connections, for the end-to-end lag scenario.  node rate-load.mjs URL RATE SECONDS
import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { eventBody } from './bodies.mjs';

const [url, rateArg, secondsArg] = process.argv.slice(2);
const rate = Number(rateArg);
const seconds = Number(secondsArg);
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const body = eventBody();
const u = new URL(url);
let ok = 0;
let bad = 0;
let errors = 0;
const latencies = [];

function send() {
  const t0 = process.hrtime.bigint();
  const req = request(
    { host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
    (res) => {
      res.resume();
      res.on('end', () => {
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (res.statusCode >= 200 && res.statusCode < 300) ok++;
        else bad++;
      });
    },
  );
  req.on('error', () => errors++);
  req.end(body);
}

const start = performance.now();
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
process.stdout.write(`${JSON.stringify({ sent, ok, bad, errors, rate: sent / seconds, p50: pct(50), p99: pct(99) })}\n`);
agent.destroy();
