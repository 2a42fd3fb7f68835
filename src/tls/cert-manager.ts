import type { SecureContext } from 'node:tls';
import { setTimeout as delay } from 'node:timers/promises';
import type { Telemetry } from '../telemetry/telemetry.js';
import { down, up, type Component, type Health } from '../lifecycle/health.js';
import type { TlsConfig } from './config.js';
import { AcmeStorage } from './acme-storage.js';
import type { AcmeIssuer } from './acme-issuer.js';
import { ChallengeStore } from './challenges.js';
import { CertificateStore, certificateEntry, type CertificateEntry, type CertificateListing } from './certificate-store.js';
import { OnDemandCertificates } from './on-demand.js';
import { loadSavedCertificates, loadStaticCertificates } from './certificate-loader.js';
import { RenewalScheduler } from './renewal.js';
import { StaticCertificateWatcher } from './static-reload.js';
import { isAcmeChallengePath } from './http-redirect.js';
import { tlsEvents } from './events.js';
import { TlsError } from './errors.js';

const CLOSE_GRACE_MS = 5_000;

export type SniCallback = (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) => void;

/** Certificates for the HTTPS listener: static ones by SNI, ACME ones obtained and renewed in the background. */
export interface CertificateManager extends Component {
  /** For `tls.createServer` / Fastify's `https.SNICallback`; reads the current certificate on every handshake. */
  readonly sniCallback: SniCallback;
  secureContextFor(name: string): SecureContext | undefined;
  /** Body for `GET /.well-known/acme-challenge/<token>` on the plain-HTTP listener; undefined means 404. */
  challengeResponse(token: string, host?: string): string | undefined;
  isAcmeChallengePath(path: string): boolean;
  list(): CertificateListing[];
  /** Orders a new certificate for a name of acme.domains now and swaps it in. */
  renewNow(name: string): Promise<CertificateListing>;
  /** Resolves when the renewals started so far (the start-up pass included) have finished. */
  settled(): Promise<void>;
}

export interface CertificateManagerOptions {
  /** The decoded `tls` slice. */
  config: TlsConfig;
  telemetry: Telemetry;
  /** The clock deciding what is due (tests). */
  now?: () => number;
}

export function createCertificateManager({ config, telemetry, now = Date.now }: CertificateManagerOptions): CertificateManager {
  const acme = config.acme;
  const store = new CertificateStore(config.defaultName);
  const events = tlsEvents(telemetry);
  const watcher = new StaticCertificateWatcher(config.certificates, store, events, config.certificateCheckInterval);
  const challenges = new ChallengeStore();
  // On-demand names join this list once they have a certificate, so the renewal loop keeps them.
  const names = acme.enabled ? acme.domains.map((d) => d.toLowerCase()) : [];
  const storage = new AcmeStorage(acme.dir, acme.directoryUrl);
  // acme-client (and its HTTP stack) is loaded only when a certificate is ordered: most gateways never do.
  let issuer: Promise<AcmeIssuer> | undefined;
  let state: 'new' | 'started' | 'closed' = 'new';

  const due = (name: string, at: number) => {
    const entry = store.get(name);
    return !entry || entry.info.notAfter.getTime() - at < acme.renewBefore;
  };

  async function obtain(name: string): Promise<CertificateListing> {
    await order(name);
    return listing(name);
  }

  async function order(name: string): Promise<CertificateEntry> {
    if (state === 'closed') throw new TlsError('TLS_CLOSED', 'the certificate manager is closed');
    const previous = store.get(name);
    issuer ??= import('./acme-issuer.js').then((m) => m.createAcmeIssuer(acme, storage, challenges));
    issuer.catch(() => (issuer = undefined)); // a failed load or set-up is retried on the next order
    const pem = await (await issuer).issue(name);
    const entry = certificateEntry('acme', pem);
    store.set(name, entry); // the next handshake sees it: no listener restart
    const fields = { serialNumber: entry.info.serialNumber, notAfter: entry.info.notAfter.toISOString() };
    if (previous) events.certRenewed({ name }, { ...fields, previousSerialNumber: previous.info.serialNumber });
    else events.certIssued({ name }, fields);
    await storage.writeCertificate(name, pem);
    return entry;
  }

  const onDemand =
    acme.enabled && acme.onDemand.enabled
      ? new OnDemandCertificates({
          config: acme.onDemand,
          store,
          storage,
          events,
          order,
          adopt: (name) => void (names.includes(name) || names.push(name)),
          now,
        })
      : undefined;

  const renewal = new RenewalScheduler(
    {
      names,
      due,
      renew: async (name) => void (await obtain(name)),
      failed: (name, err, attempt, retryInMs) =>
        events.certRenewFailed(
          { name, code: err instanceof TlsError ? err.code : 'UNKNOWN' },
          { attempt, retryInMs, error: err instanceof Error ? err.message : String(err) },
        ),
    },
    { checkInterval: acme.checkInterval, retry: acme.retry },
    now,
  );

  function listing(name: string): CertificateListing {
    const found = store.list().find((l) => l.name === name);
    if (!found) throw new TlsError('TLS_NAME_NOT_CONFIGURED', `no certificate for ${name}`);
    return found;
  }

  return {
    sniCallback(servername, cb) {
      const entry = onDemand ? store.find(servername) : store.lookup(servername);
      if (entry) return cb(null, entry.context);
      const unknown = () => {
        const fallback = store.lookup(servername);
        if (fallback) cb(null, fallback.context);
        else cb(new TlsError('TLS_UNKNOWN_NAME', `no certificate for ${JSON.stringify(servername)}`));
      };
      if (!onDemand || state !== 'started') return unknown();
      // A name seen first here: asked, ordered and installed while this handshake waits (up to handshakeWait).
      onDemand.certificate(servername).then(
        (obtained) => cb(null, obtained.context),
        () => unknown(),
      );
    },
    secureContextFor: (name) => store.lookup(name)?.context,
    challengeResponse: (token, host) => challenges.response(token, host),
    isAcmeChallengePath,
    list: () => store.list(),

    async start() {
      if (state !== 'new') return;
      await watcher.mark();
      await loadStaticCertificates(config.certificates, store);
      watcher.start();
      if (acme.enabled) {
        await loadSavedCertificates(names, storage, store, telemetry.log);
        renewal.start(); // first pass at once, in the background: start-up never waits on the CA
      }
      state = 'started';
    },

    async renewNow(name) {
      if (!acme.enabled) throw new TlsError('TLS_ACME_DISABLED', 'acme.enabled is false');
      const key = name.toLowerCase();
      // Only configured names are ever ordered (rate limits, and no certificates for an attacker's Host header).
      if (!names.includes(key)) throw new TlsError('TLS_NAME_NOT_CONFIGURED', `${name} is not in acme.domains`);
      return renewal.exclusive(async () => {
        try {
          const result = await obtain(key);
          renewal.succeeded(key);
          return result;
        } catch (err) {
          renewal.fail(key, err);
          throw err;
        }
      });
    },

    settled: () => renewal.idle(),

    async healthcheck(): Promise<Health> {
      if (state !== 'started') return down(`certificate manager is ${state === 'new' ? 'not started' : 'closed'}`);
      const at = now();
      const problems = store.list().filter((l) => l.notAfter.getTime() <= at).map((l) => `${l.name} expired`);
      const waiting: string[] = [];
      for (const name of names.filter((n) => !store.get(n))) {
        const failure = renewal.failures(name);
        const reason = failure?.lastError instanceof Error ? failure.lastError.message : String(failure?.lastError);
        if (failure) problems.push(`no certificate for ${name}: ${reason}`);
        else waiting.push(name);
      }
      if (problems.length > 0) return down(problems.join('; '));
      return up(waiting.length > 0 ? `awaiting certificates for ${waiting.join(', ')}` : `${store.list().length} names`);
    },

    async close() {
      if (state === 'closed') return;
      state = 'closed';
      await watcher.stop();
      // An order in progress may poll a slow CA for minutes; shutdown waits a little, then abandons it (the CA lets
      // the order expire, and the next start orders again).
      await Promise.race([renewal.close(), delay(CLOSE_GRACE_MS, undefined, { ref: false })]);
      await issuer?.then((i) => i.close(), () => undefined);
    },
  };
}
