// The load generator: wrk (Debian), pinned to the load core, with latency percentiles.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

/** Writes the Lua script of a request: method, body, headers, and whether each request opens a new connection. */
export function wrkScript(dir, name, { method = 'GET', body, headers = {}, close = false }) {
  const all = { 'User-Agent': UA, 'Accept-Language': 'en-GB,en;q=0.9', ...headers };
  if (close) all.Connection = 'close';
  const lines = [`wrk.method = ${JSON.stringify(method)}`];
  for (const [k, v] of Object.entries(all)) lines.push(`wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`);
  if (body !== undefined) lines.push(`wrk.body = ${JSON.stringify(body)}`);
  const path = join(dir, `${name}.lua`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

/** One wrk run: one thread (the load core is one core), `connections` keep-alive connections unless the script closes. */
export function runWrk({ url, script, seconds, connections = 50, core = '1', timeout = '5s' }) {
  const args = ['-c', core, 'wrk', '-t1', `-c${connections}`, `-d${seconds}s`, `--timeout`, timeout, '--latency', '-s', script, url];
  return new Promise((resolve, reject) => {
    execFile('taskset', args, { maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`wrk failed: ${stderr || err.message}`));
      resolve(parseWrk(stdout));
    });
  });
}

const MS = { us: 0.001, ms: 1, s: 1000 };

export function parseWrk(out) {
  const num = (re) => {
    const m = re.exec(out);
    return m ? Number(m[1]) : NaN;
  };
  const latency = (pct) => {
    const m = new RegExp(`^\\s+${pct}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(out);
    return m ? Number(m[1]) * MS[m[2]] : NaN;
  };
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    requests: num(/(\d+) requests in/),
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    p50: latency(50),
    p99: latency(99),
    // wrk counts every answer outside 2xx/3xx (429, 503, 5xx): a run with any is flagged in the report.
    bad: num(/Non-2xx or 3xx responses: (\d+)/) || 0,
    socketErrors: errors ? errors.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
    raw: out,
  };
}
