import { X509Certificate } from 'node:crypto';
import { stat } from 'node:fs/promises';
import type { StaticCertificate } from './config.js';
import { loadStaticCertificate } from './certificate-loader.js';
import type { CertificateStore } from './certificate-store.js';
import { uncoveredNames } from './cross-checks.js';
import type { TlsEvents } from './events.js';

/** What a certificate's two files were when last read: any change (a rewrite, a rename over them) differs. */
async function stampOf(config: StaticCertificate): Promise<string> {
  const [cert, key] = await Promise.all([stat(config.cert), stat(config.key)]);
  return `${cert.ino}:${cert.size}:${cert.mtimeMs}|${key.ino}:${key.size}:${key.mtimeMs}`;
}

/**
 * Loads the files of `tls.certificates` again when they change (a deploy hook, certbot, a secrets agent), checked
 * every `intervalMs`: the next handshake gets the new pair, with no restart. A pair that does not load (a key
 * written before its certificate, a broken file), does not cover its configured names or has expired is logged
 * once and the old certificate kept; the files are read again at the next change.
 */
export class StaticCertificateWatcher {
  private readonly loaded: Array<string | undefined> = [];
  private readonly refused: Array<string | undefined> = [];
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;

  constructor(
    private readonly certificates: readonly StaticCertificate[],
    private readonly store: CertificateStore,
    private readonly events: TlsEvents,
    private readonly intervalMs: number,
  ) {}

  /** Notes the files as they are now; call before the first load, so a change during it is seen later. */
  async mark(): Promise<void> {
    for (const [i, config] of this.certificates.entries()) this.loaded[i] = await stampOf(config).catch(() => undefined);
  }

  start(): void {
    if (this.certificates.length === 0 || this.intervalMs <= 0) return;
    this.timer = setInterval(() => void this.check(), this.intervalMs);
    this.timer.unref();
  }

  /** One pass over the files; a pass still running is joined, not doubled. */
  check(): Promise<void> {
    this.checking ??= this.pass().finally(() => (this.checking = undefined));
    return this.checking;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.checking;
  }

  private async pass(): Promise<void> {
    for (const [i, config] of this.certificates.entries()) {
      const stamp = await stampOf(config).catch(() => undefined);
      if (stamp === undefined || stamp === this.loaded[i] || stamp === this.refused[i]) continue;
      const name = config.names[0] ?? '';
      const previous = this.store.get(name)?.info.serialNumber;
      try {
        const entry = await loadStaticCertificate(config, i);
        // A pair that loads but would fail every handshake is no better than one that does not. Checked on the
        // PEM just loaded, not the file again: it may have changed since.
        const uncovered = uncoveredNames(new X509Certificate(entry.cert), config.names);
        if (uncovered.length > 0) throw new Error(`the new certificate does not cover ${uncovered.join(', ')}`);
        if (entry.info.notAfter.getTime() < Date.now()) throw new Error(`the new certificate expired on ${entry.info.notAfter.toISOString()}`);
        for (const n of config.names) this.store.set(n, entry);
        this.loaded[i] = stamp;
        this.refused[i] = undefined;
        this.events.certReloaded({ name }, { names: config.names, serialNumber: entry.info.serialNumber, previousSerialNumber: previous });
      } catch (err) {
        this.refused[i] = stamp;
        this.events.certReloadFailed({ name }, { names: config.names, error: (err as Error).message });
      }
    }
  }
}
