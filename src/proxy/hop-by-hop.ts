import type { IncomingHttpHeaders } from 'node:http';

/**
 * An upstream response's headers without the hop-by-hop ones: `Connection`, the fields it names, and
 * `Keep-Alive` (RFC 9110 §7.6.1). They describe the upstream connection, not the client's; forwarded, an
 * upstream's `Connection: keep-alive` replaced the `Connection: close` Node sends when a client connection
 * reaches server.maxRequestsPerSocket, so the client sent one more request and got a 503 for it.
 */
export function stripHopByHop(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const connection = headers.connection;
  if (connection === undefined && headers['keep-alive'] === undefined) return headers;
  const out = { ...headers };
  delete out.connection;
  delete out['keep-alive'];
  for (const name of String(connection ?? '').split(',')) {
    const key = name.trim().toLowerCase();
    if (key) delete out[key];
  }
  return out;
}
