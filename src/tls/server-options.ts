import type { TlsConfig } from './config.js';
import type { SniCallback } from './cert-manager.js';

/** Options for `https.createServer`, `http2.createSecureServer` or Fastify's `https` (with `http2: config.http2`). */
export interface TlsServerOptions {
  SNICallback: SniCallback;
  minVersion: 'TLSv1.2';
  /** With HTTP/2: ALPN offers h2 and falls back to HTTP/1.1 for clients without it. */
  allowHTTP1?: true;
  ALPNProtocols: string[];
}

/**
 * The listener options shared by every HTTPS server of the gateway. Certificates come only from the SNI callback, so a
 * client that sends no server name (a bare IP address) fails the handshake rather than getting an arbitrary certificate.
 */
export function tlsServerOptions(config: Pick<TlsConfig, 'http2'>, sniCallback: SniCallback): TlsServerOptions {
  // TLS 1.0/1.1 are deprecated (RFC 8996).
  const base = { SNICallback: sniCallback, minVersion: 'TLSv1.2' } as const;
  if (config.http2) return { ...base, allowHTTP1: true, ALPNProtocols: ['h2', 'http/1.1'] };
  return { ...base, ALPNProtocols: ['http/1.1'] };
}
