import type { Config } from '../settings/schema.js';
import { createLogger } from '../telemetry/logger.js';
import { AcmeStorage } from '../tls/acme-storage.js';
import { CertificateStore } from '../tls/certificate-store.js';
import { loadSavedCertificates, loadStaticCertificates } from '../tls/certificate-loader.js';

/**
 * `gatehouse certs`: the certificates the gateway would serve — static ones and those saved by ACME — with
 * issuer and expiry. Reads files only; orders nothing.
 */
export async function certs(config: Readonly<Config>, opts: { json?: boolean }, out: (line: string) => void): Promise<number> {
  const store = new CertificateStore();
  await loadStaticCertificates(config.tls.certificates, store);
  const acme = config.tls.acme;
  if (acme.enabled) {
    await loadSavedCertificates(acme.domains, new AcmeStorage(acme.dir, acme.directoryUrl), store, createLogger('warn'));
  }
  const listed = store.list();
  const missing = acme.enabled ? acme.domains.filter((d) => !listed.some((l) => l.name === d)) : [];
  if (opts.json) {
    out(JSON.stringify({ certificates: listed, missing }));
    return 0;
  }
  if (listed.length === 0 && missing.length === 0) out('no certificates configured (tls.certificates and tls.acme are empty)');
  const now = Date.now();
  for (const c of listed) {
    const days = Math.floor((c.notAfter.getTime() - now) / 86_400_000);
    out(`${c.name}\t${c.source}\t${c.issuer}\texpires ${c.notAfter.toISOString()} (${days} days)`);
  }
  for (const name of missing) out(`${name}\tacme\tnot issued yet (issued when the gateway starts)`);
  return 0;
}
