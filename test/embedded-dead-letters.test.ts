import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startGateway } from './helpers/gateway.js';
import { waitFor } from './helpers/wait.js';

const post = async (url: string, event: Record<string, unknown>) => {
  const res = await fetch(`${url}/tr/v1/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { ids: string[] };
  return body.ids[0] ?? '';
};

describe('embedded mode: what the store keeps refusing', () => {
  it('goes to <spool.dir>/dead-letter.jsonl, on disk before the spool lets it go', async () => {
    const gw = await startGateway({ consumer: { batchWait: '10ms', maxDeliver: 2, retryBackoff: '10ms' } });
    try {
      await post(gw.url, { ename: 'before' });
      await gw.events(1, { ename: 'before' });
      // From here on every write to the store fails, as a store that lost its file would.
      await gw.store.close();
      const id = await post(gw.url, { ename: 'refused', params: { n: '1' } });

      const path = join(gw.dir, 'spool', 'dead-letter.jsonl');
      const line = await waitFor('the dead letter on disk', () => {
        if (!existsSync(path)) return undefined;
        const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
        return lines.find((l) => l.id === id);
      });
      expect(line).toMatchObject({ subject: 'gatehouse.events', deliveries: 2 });
      expect(String(line.reason)).toMatch(/sink write failed after 2 deliveries/);
      expect(JSON.parse(String(line.data))).toMatchObject({ eid: id, ename: 'refused', params: { n: '1' } });
      // The spool let the event go only once the dead letter was kept.
      await waitFor('the spool to be empty', async () => /gatehouse_spool_pending_records 0\b/.test(await gw.gateway.telemetry.metrics()));
    } finally {
      await gw.stop();
    }
  });
});
