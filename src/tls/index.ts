/**
 * TLS termination and automatic certificates. Wiring it into the gateway:
 *
 *   const certs = createCertificateManager({ config: config.tls, telemetry });
 *   await certs.start();                       // static + saved certificates; ACME orders run in the background
 *   const https = fastify({ http2: config.tls.http2, https: tlsServerOptions(config.tls, certs.sniCallback) });
 *   // plain-HTTP listener, for every request first:
 *   const d = decidePlainHttp({ method, host, url }, config.tls);
 *   //   'challenge' → 200 text/plain certs.challengeResponse(d.token, host), or 404 when undefined
 *   //   'redirect'  → d.status with Location d.location;  'reject' → 400;  'pass' → route as usual
 *   // on HTTPS responses: hstsHeader(config.tls.hsts) → Strict-Transport-Security when defined
 *   // config checks: tlsCrossChecks(config.tls) in the loader, tlsFileChecks(config.tls) in `gatehouse validate`
 *   // close: await certs.close() in onClose
 *
 * The plain-HTTP listener must be up (and reachable on port 80 from the CA) for ACME orders to succeed; orders started
 * before it listens fail and are retried with backoff.
 */
export {
  TlsConfig,
  AcmeConfig,
  HstsConfig,
  StaticCertificate,
  decodeTlsConfig,
  LETSENCRYPT_PRODUCTION,
  LETSENCRYPT_STAGING,
} from './config.js';
export { tlsCrossChecks, tlsFileChecks } from './cross-checks.js';
export {
  createCertificateManager,
  type CertificateManager,
  type CertificateManagerOptions,
  type SniCallback,
} from './cert-manager.js';
export type { CertificateListing, CertificateSource } from './certificate-store.js';
export {
  decidePlainHttp,
  hstsHeader,
  isAcmeChallengePath,
  acmeChallengeToken,
  ACME_CHALLENGE_PREFIX,
  type PlainHttpDecision,
  type PlainHttpRequest,
  type RedirectConfig,
} from './http-redirect.js';
export { tlsServerOptions, type TlsServerOptions } from './server-options.js';
export { TlsError, type TlsErrorCode } from './errors.js';
export type { CertificateInfo } from './pem.js';
