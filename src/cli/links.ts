import type { Config } from '../settings/schema.js';
import { trackedLink } from '../track/links/sign.js';
import { UsageError } from './args.js';

type Out = (line: string) => void;

/**
 * `gatehouse links add|list|rm|sign`. add/list/rm talk to the running gateway's admin API (the store is
 * owned by that process); the token goes in the Authorization header, never in the URL.
 */
export async function links(config: Readonly<Config>, args: string[], opts: { admin?: string; json?: boolean; host?: string }, out: Out): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'sign') {
    const url = rest[0];
    if (!url) throw new UsageError('links sign needs a URL');
    const key = config.tracking.redirects.signingKey;
    if (!key) throw new UsageError('set tracking.redirects.signingKey in the config to sign links');
    const base = rest[1] ?? `http://${displayHost(config.server.listen.host)}:${config.server.listen.port}`;
    out(trackedLink(base, config.tracking.routes.redirect, url, key));
    return 0;
  }
  const base = opts.admin ?? `http://${displayHost(config.admin.listen.host)}:${config.admin.listen.port}`;
  const call = async (method: string, path: string, body?: unknown) => {
    const headers: Record<string, string> = {};
    if (config.admin.token) headers.authorization = `Bearer ${config.admin.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(new URL(path, base), { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    } catch (err) {
      throw new Error(`cannot reach the admin API at ${base} (is the gateway running?): ${(err as Error).cause ?? (err as Error).message}`, { cause: err });
    }
    const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (!res.ok) {
      const e = json.error as { message?: string } | undefined;
      throw new Error(`${method} ${path}: ${res.status} ${e?.message ?? res.statusText}`);
    }
    return json;
  };

  switch (sub) {
    case 'add': {
      const [slug, url] = rest;
      if (!slug || !url) throw new UsageError('links add needs SLUG and URL');
      const r = await call('POST', '/admin/links', { slug, url, ...(opts.host ? { host: opts.host } : {}) });
      out(opts.json ? JSON.stringify(r.link) : `${slug} → ${url}`);
      return 0;
    }
    case 'list': {
      const r = (await call('GET', '/admin/links')) as { links: { slug: string; url: string; host?: string; updated: string }[] };
      if (opts.json) out(JSON.stringify(r.links));
      else for (const l of r.links) out(`${l.slug}\t${l.url}${l.host ? `\t(${l.host})` : ''}\t${l.updated}`);
      return 0;
    }
    case 'rm': {
      const slug = rest[0];
      if (!slug) throw new UsageError('links rm needs SLUG');
      await call('DELETE', `/admin/links/${encodeURIComponent(slug)}`);
      out(`deleted ${slug}`);
      return 0;
    }
    default:
      throw new UsageError('links needs one of: add, list, rm, sign');
  }
}

function displayHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}
