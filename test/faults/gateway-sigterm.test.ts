import { request as httpRequest, type IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import { Load } from './load.js';
import { faultSuite, servePorts, startLocalConsumer, startServeChild } from './harness.js';
import { expectExactlyOnce, holdings, ledger, settle } from './ledger.js';

/** A POST the server has read the headers of (it answered 100 Continue) and still waits for the body of. */
async function heldRequest(base: string, body: string): Promise<{ send(): void; status: Promise<number> }> {
  const u = new URL(`${base}/tr/v1/`);
  const req = httpRequest({
    host: u.hostname,
    port: u.port,
    path: u.pathname,
    method: 'POST',
    agent: false,
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), expect: '100-continue' },
  });
  const status = new Promise<number>((resolve, reject) => {
    req.on('response', (res: IncomingMessage) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
  });
  await new Promise<void>((resolve) => req.once('continue', () => resolve()));
  return { send: () => req.end(body), status };
}

describe('delivery: the gateway gets SIGTERM under load', () => {
  const suite = faultSuite(3);
  const { rig } = suite;

  it('finishes in-flight requests, forwards or keeps what it accepted, and exits 0', async () => {
    const s = suite.scenario('sigterm');
    await startLocalConsumer(rig, s);
    const ports = await servePorts();
    // Info level: the last log line tells how much the spool still held at exit.
    let gw = await startServeChild(rig, s, ports, { log: { level: 'info' } });
    const load = new Load({ url: () => gw.url, prefix: 'sigterm', rate: 200, max: 3_000 }).start();
    await waitFor('load on the gateway', () => load.okCount >= 500);

    const heldId = 'sigterm-held-000001';
    const held = await heldRequest(gw.url, JSON.stringify({ ename: 'sigterm', eid: heldId }));
    gw.signal('SIGTERM');
    // Shutdown has begun (readiness turned) while the held request is still in flight; then its body arrives.
    await waitFor('the gateway to report not ready', async () => {
      const res = await fetch(`${gw.url}/readyz`).catch(() => undefined);
      return res === undefined || res.status === 503;
    });
    held.send();
    const heldStatus = await held.status;
    load.record(heldId, heldStatus);
    expect(heldStatus).toBe(200);
    expect(await gw.exited()).toEqual({ code: 0, signal: null });
    const finished = /"event":"shutdownFinished".*?"pendingRecords":(\d+)/.exec(gw.output());
    console.log(`[delivery] gateway SIGTERM: ${finished?.[1] ?? '?'} records left in the spool at exit, replayed by the next start`);

    // Whatever the spool did not forward before the exit is replayed by the next start on the same spool dir.
    const atRestart = load.okCount;
    gw = await startServeChild(rig, s, ports);
    await waitFor('load on the restarted gateway', () => load.okCount >= atRestart + 300 || load.finished, { timeoutMs: 60_000 });
    const tally = await load.stop();

    await settle('gateway SIGTERM', gw.pendingRecords, () => suite.cluster.lag(s.stream));
    gw.signal('SIGTERM');
    expect(await gw.exited()).toEqual({ code: 0, signal: null });
    const result = ledger('gateway SIGTERM under load, restarted', tally, await holdings(suite.cluster, s, 'sigterm'));
    expect(tally.ok.has(heldId)).toBe(true);
    expectExactlyOnce(result);
  }, 150_000);
});
