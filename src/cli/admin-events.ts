import type { TrackEvent } from '../track/event.js';
import type { AdminClient } from './admin-client.js';
import { queryOf } from './admin-client.js';

type Out = (line: string) => void;

export interface EventsOptions {
  follow: boolean;
  filter: Record<string, string | undefined>; // ename, etyp, vid, uid, url, since, until
  limit?: number;
  signal?: AbortSignal;
}

/**
 * `gatehouse events`: JSON lines, newest first, following the `next` cursor until `--limit` events (default 100)
 * are printed. With `--follow`: the live tail (SSE) instead, until interrupted.
 */
export async function events(client: AdminClient, opts: EventsOptions, out: Out): Promise<number> {
  if (opts.follow) return follow(client, opts, out);
  let left = opts.limit ?? 100;
  let before: string | undefined;
  while (left > 0) {
    const page = await client.json<{ events: TrackEvent[]; next: string | null }>(
      'GET',
      `/admin/events${queryOf({ ...opts.filter, limit: Math.min(left, 10_000), before })}`,
    );
    for (const e of page.events) out(JSON.stringify(e));
    left -= page.events.length;
    if (!page.next) break;
    before = page.next;
  }
  return 0;
}

async function follow(client: AdminClient, opts: EventsOptions, out: Out): Promise<number> {
  const { since: _since, until: _until, ...fields } = opts.filter;
  const res = await client.raw(`/admin/events/live${queryOf(fields)}`, { accept: 'text/event-stream', ...(opts.signal ? { signal: opts.signal } : {}) });
  if (!res.body) return 0;
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of res.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const message = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = message.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
        if (data) out(data);
        const note = message.split('\n').find((l) => l.startsWith(': dropped') || l.startsWith(': the gateway'));
        if (note) process.stderr.write(`live tail ended${note.slice(1)}\n`);
      }
    }
  } catch (err) {
    if ((err as Error).name !== 'AbortError') throw err;
  }
  return 0;
}
