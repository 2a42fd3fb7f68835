import type { AdminClient } from './admin-client.js';
import { UsageError } from './args.js';

type Out = (line: string) => void;

/** `gatehouse forget --vid ID | --uid ID`: erasure (GDPR art. 17) of one person's events from every store that can. */
export async function forget(client: AdminClient, opts: { vid?: string; uid?: string; json?: boolean }, out: Out): Promise<number> {
  if (!opts.vid === !opts.uid) throw new UsageError('forget needs exactly one of --vid ID or --uid ID');
  const path = opts.vid ? `/admin/visitors/${encodeURIComponent(opts.vid)}` : `/admin/users/${encodeURIComponent(opts.uid ?? '')}`;
  const r = await client.json<{ erased: Record<string, number>; notErased?: string[] }>('DELETE', path);
  if (opts.json) out(JSON.stringify(r));
  else {
    const who = opts.vid ? `visitor ${opts.vid}` : `user ${opts.uid}`;
    out(`erased ${who}: ${Object.entries(r.erased).map(([store, n]) => `${n} events from ${store}`).join(', ')}`);
    if (r.notErased?.length) out(`not erased (no deletion support yet): ${r.notErased.join(', ')}`);
  }
  return 0;
}
