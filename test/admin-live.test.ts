import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { waitFor } from './helpers/wait.js';
import { metric, send } from './admin-support.js';
import type { TrackEvent } from '../src/track/event.js';

let gw: TestGateway;

beforeAll(async () => {
  gw = await startGateway();
});
afterAll(async () => gw?.stop());

/** Reads an SSE response: every chunk appended to `text`, data messages parsed into `events`. */
function sseReader(res: Response) {
  const state = { text: '', connected: false, events: [] as TrackEvent[] };
  const reader = res.body?.getReader();
  const decoder = new TextDecoder();
  const done = (async () => {
    for (;;) {
      const chunk = await reader?.read().catch(() => undefined);
      if (!chunk || chunk.done) return;
      state.text += decoder.decode(chunk.value, { stream: true });
      let end: number;
      let consumed = 0;
      while ((end = state.text.indexOf('\n\n', consumed)) >= 0) {
        const lines = state.text.slice(consumed, end).split('\n');
        if (lines.includes(': connected')) state.connected = true;
        const data = lines.find((l) => l.startsWith('data: '));
        if (data) state.events.push(JSON.parse(data.slice(6)) as TrackEvent);
        consumed = end + 2;
      }
      state.text = state.text.slice(consumed);
    }
  })();
  return { state, done, cancel: () => reader?.cancel().catch(() => undefined) };
}

describe('GET /admin/events/live', () => {
  it('streams events accepted after subscribing, with the filters applied', async () => {
    const res = await fetch(`${gw.adminUrl}/admin/events/live?ename=live_a`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const sse = sseReader(res);
    await waitFor('the connected comment', () => sse.state.connected);
    const ids = await send(gw, [{ ename: 'live_a', vid: 'l1' }, { ename: 'live_b' }, { ename: 'live_a', vid: 'l2' }]);
    await waitFor('two live events', () => sse.state.events.length >= 2);
    expect(sse.state.events.map((e) => e.eid)).toEqual([ids[0], ids[2]]);
    expect(sse.state.events.map((e) => e.vid)).toEqual(['l1', 'l2']);
    await sse.cancel();
    await waitFor('the viewer to be gone', async () => (await metric(gw, 'gatehouse_admin_live_viewers')) === 0);
  });

  it('drops a viewer that never reads, with a final comment, while every accept completes', async () => {
    const { port } = new URL(gw.adminUrl);
    const socket: Socket = connect(Number(port), '127.0.0.1');
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write('GET /admin/events/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await waitFor('the stream to open', () => received.includes(': connected'));
    socket.pause(); // from now on this viewer reads nothing

    const big = Object.fromEntries(Array.from({ length: 4 }, (_, i) => [`p${i}`, 'x'.repeat(2000)]));
    const batches = 125;
    const perBatch = 20;
    const senders = Array.from({ length: 4 }, async (_, w) => {
      let ids = 0;
      for (let b = w; b < batches; b += 4) ids += (await send(gw, Array.from({ length: perBatch }, () => ({ ename: 'flood', params: big })))).length;
      return ids;
    });
    const accepted = (await Promise.all(senders)).reduce((a, b) => a + b, 0);
    expect(accepted).toBe(batches * perBatch);

    await waitFor('the slow viewer to be dropped', async () => (await metric(gw, 'gatehouse_admin_live_viewer_dropped_total')) >= 1);
    expect(await metric(gw, 'gatehouse_admin_live_viewers')).toBe(0);
    socket.resume();
    await closed;
    expect(received).toContain(': dropped');
    // What reached the socket is bounded by the queue and socket limits, far below everything that was accepted.
    const everything = batches * perBatch * 8_000;
    expect(received.length).toBeLessThan(everything / 2);
    await gw.events(batches * perBatch, { ename: 'flood' });
  });
});
