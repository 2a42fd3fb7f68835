import type { Config } from '../settings/schema.js';

/** Where and how the CLI reaches the running gateway's admin API (the store belongs to that process). */
export interface AdminClient {
  readonly base: string;
  /** A JSON call; throws AdminApiError with the server's message on a non-2xx answer. */
  json<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** A raw call for streamed bodies (SSE, export files); the caller reads `res.body`. */
  raw(path: string, init?: { signal?: AbortSignal; accept?: string }): Promise<Response>;
}

export class AdminApiError extends Error {
  readonly code = 'ADMIN_API';
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AdminApiError';
  }
}

export function adminClient(config: Readonly<Config>, opts: { admin?: string }): AdminClient {
  const base = opts.admin ?? `http://${displayHost(config.admin.listen.host)}:${config.admin.listen.port}`;
  const headers = (extra: Record<string, string> = {}): Record<string, string> => ({
    ...(config.admin.token ? { authorization: `Bearer ${config.admin.token}` } : {}),
    ...extra,
  });
  const send = async (method: string, path: string, init: RequestInit): Promise<Response> => {
    let res: Response;
    try {
      res = await fetch(new URL(path, base), { method, ...init });
    } catch (err) {
      const reason = (err as Error).cause ?? (err as Error).message;
      throw new AdminApiError(`cannot reach the admin API at ${base} (is the gateway running?): ${String(reason)}`, undefined, { cause: err });
    }
    if (!res.ok) {
      const body = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
      throw new AdminApiError(`${method} ${path.split('?')[0]}: ${res.status} ${body.error?.message ?? res.statusText}`, res.status);
    }
    return res;
  };
  return {
    base,
    async json<T>(method: string, path: string, body?: unknown): Promise<T> {
      const init: RequestInit =
        body === undefined ? { headers: headers() } : { headers: headers({ 'content-type': 'application/json' }), body: JSON.stringify(body) };
      return (await (await send(method, path, init)).json()) as T;
    },
    raw(path, init = {}) {
      return send('GET', path, { headers: headers(init.accept ? { accept: init.accept } : {}), ...(init.signal ? { signal: init.signal } : {}) });
    },
  };
}

/** A query string from the options that were given. */
export function queryOf(values: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

function displayHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}
