import { undici } from '../server/undici.js';

/** What the operator's ask endpoint said about a name. */
export type AskAnswer = 'allowed' | 'refused' | 'error';

/**
 * Asks the operator whether a certificate may be obtained for `name`: GET <ask>?domain=<name>, as Caddy does
 * (https://caddyserver.com/docs/automatic-https#on-demand-tls). Only a 2xx allows; a redirect is not followed
 * (the endpoint is the operator's, a redirect is a misconfiguration, not a yes).
 */
export async function askAllows(ask: string, name: string, timeoutMs: number): Promise<AskAnswer> {
  const url = new URL(ask);
  url.searchParams.set('domain', name);
  try {
    const res = await undici().request(url, {
      method: 'GET',
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
      headers: { 'user-agent': 'gatehouse-on-demand-tls' },
    });
    await res.body.dump();
    return res.statusCode >= 200 && res.statusCode < 300 ? 'allowed' : 'refused';
  } catch {
    return 'error';
  }
}
