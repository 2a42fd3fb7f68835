import { createSecureContext, type SecureContext } from 'node:tls';
import { describeCertificate, type CertificateInfo } from './pem.js';

export type CertificateSource = 'static' | 'acme';

/** One usable certificate: the parsed facts and the context handed to TLS handshakes. */
export interface CertificateEntry {
  readonly source: CertificateSource;
  readonly info: CertificateInfo;
  readonly context: SecureContext;
  /** PEM of the private key and chain, kept so the gateway can also serve it as its default (no-SNI) certificate. */
  readonly key: string;
  readonly cert: string;
}

/** A row of `gatehouse certs`. */
export interface CertificateListing {
  name: string;
  issuer: string;
  notBefore: Date;
  notAfter: Date;
  serialNumber: string;
  source: CertificateSource;
}

/** Builds an entry; throws when the key does not belong to the certificate or the PEM is unreadable. */
export function certificateEntry(
  source: CertificateSource,
  pem: { key: string | Buffer; cert: string | Buffer },
): CertificateEntry {
  const context = createSecureContext({ key: pem.key, cert: pem.cert });
  return { source, info: describeCertificate(pem.cert), context, key: pem.key.toString(), cert: pem.cert.toString() };
}

/**
 * Certificates by host name. Handshakes read it on every connection, so replacing an entry takes effect for the next
 * connection without restarting a listener.
 */
export class CertificateStore {
  private readonly byName = new Map<string, CertificateEntry>();

  constructor(private readonly defaultName = '') {}

  set(name: string, entry: CertificateEntry): void {
    this.byName.set(name.toLowerCase(), entry);
  }

  get(name: string): CertificateEntry | undefined {
    return this.byName.get(name.toLowerCase());
  }

  /** Exact name first, then a wildcard one label up ("a.example.com" → "*.example.com"), then the default name. */
  lookup(servername: string): CertificateEntry | undefined {
    return this.find(servername) ?? (this.defaultName ? this.byName.get(this.defaultName.toLowerCase()) : undefined);
  }

  /** Like `lookup` without the default name: whether the name itself is covered. */
  find(servername: string): CertificateEntry | undefined {
    const name = servername.toLowerCase().replace(/\.$/, '');
    const exact = this.byName.get(name);
    if (exact) return exact;
    const dot = name.indexOf('.');
    return dot > 0 ? this.byName.get(`*${name.slice(dot)}`) : undefined;
  }

  list(): CertificateListing[] {
    return [...this.byName.entries()]
      .map(([name, { source, info }]) => ({
        name,
        issuer: info.issuer,
        notBefore: info.notBefore,
        notAfter: info.notAfter,
        serialNumber: info.serialNumber,
        source,
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }
}
