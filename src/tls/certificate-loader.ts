import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { StaticCertificate } from './config.js';
import type { AcmeStorage } from './acme-storage.js';
import { certificateEntry, type CertificateEntry, type CertificateStore } from './certificate-store.js';
import { TlsError } from './errors.js';

/**
 * Loads the configured certificate files into the store. A bad file stops start-up: serving without a certificate the
 * operator asked for would fail every handshake for those names, and late.
 */
export async function loadStaticCertificates(certificates: readonly StaticCertificate[], store: CertificateStore): Promise<void> {
  for (const [i, config] of certificates.entries()) {
    const entry = await loadStaticCertificate(config, i);
    for (const name of config.names) store.set(name, entry);
  }
}

/** Reads and checks one configured pair (the key must belong to the certificate); `index` names it in errors. */
export async function loadStaticCertificate(config: StaticCertificate, index: number): Promise<CertificateEntry> {
  try {
    const [cert, key] = await Promise.all([readFile(config.cert), readFile(config.key)]);
    return certificateEntry('static', { cert, key });
  } catch (err) {
    throw new TlsError('TLS_STATIC_CERT_INVALID', `/tls/certificates/${index} (${config.cert}): ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * Loads certificates saved by earlier runs. A file that is unreadable, damaged or not for its name is ignored (and
 * logged): the name is then simply due, and a fresh certificate is ordered.
 */
export async function loadSavedCertificates(
  names: readonly string[],
  storage: AcmeStorage,
  store: CertificateStore,
  log: Logger,
): Promise<void> {
  for (const name of names) {
    try {
      const pem = await storage.readCertificate(name);
      if (!pem) continue;
      const entry = certificateEntry('acme', pem);
      if (!entry.info.names.includes(name)) throw new Error(`the saved certificate covers ${entry.info.names.join(', ')}`);
      store.set(name, entry);
    } catch (err) {
      log.warn({ name, path: storage.certificatePath(name), err }, 'ignoring the saved certificate; a new one will be ordered');
    }
  }
}
