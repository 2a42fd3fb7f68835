import { mkdir, readFile, rename, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { TlsError } from './errors.js';
import { splitKeyAndChain } from './pem.js';

/** A private key with its certificate chain, both PEM. */
export interface KeyAndChain {
  key: string;
  cert: string;
}

/**
 * Files of one ACME CA under `dir/<directory-slug>/`: `account.key` and `certs/<name>.pem` (private key, then chain;
 * one file so a crash can never leave a key beside someone else's certificate). Every file is written mode 0600 through
 * a temporary file and a rename. A folder per directory URL keeps staging certificates from being served in production.
 */
export class AcmeStorage {
  readonly root: string;

  constructor(dir: string, directoryUrl: string) {
    this.root = join(dir, directorySlug(directoryUrl));
  }

  get accountKeyPath(): string {
    return join(this.root, 'account.key');
  }

  certificatePath(name: string): string {
    return join(this.root, 'certs', `${name.toLowerCase().replace(/[^a-z0-9.-]/g, '_')}.pem`);
  }

  /** The account key, or undefined when none was saved yet. */
  async readAccountKey(): Promise<string | undefined> {
    return this.readOptional(this.accountKeyPath);
  }

  async writeAccountKey(pem: string): Promise<void> {
    await this.writePrivate(this.accountKeyPath, pem);
  }

  async readCertificate(name: string): Promise<KeyAndChain | undefined> {
    const path = this.certificatePath(name);
    const text = await this.readOptional(path);
    if (text === undefined) return undefined;
    try {
      return splitKeyAndChain(text);
    } catch (err) {
      throw new TlsError('TLS_STORAGE_FAILED', `${path}: not a key and certificate bundle`, { cause: err });
    }
  }

  async writeCertificate(name: string, pem: KeyAndChain): Promise<void> {
    await this.writePrivate(this.certificatePath(name), `${pem.key.trimEnd()}\n${pem.cert.trimEnd()}\n`);
  }

  private async readOptional(path: string): Promise<string | undefined> {
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new TlsError('TLS_STORAGE_FAILED', `cannot read ${path}`, { cause: err });
    }
  }

  private async writePrivate(path: string, text: string): Promise<void> {
    const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
      await writeFile(tmp, text, { mode: 0o600, flag: 'wx' });
      await chmod(tmp, 0o600); // the mode given at creation is reduced by the umask; make it exact
      await rename(tmp, path);
    } catch (err) {
      throw new TlsError('TLS_STORAGE_FAILED', `cannot write ${path}`, { cause: err });
    }
  }
}

/** "https://acme-v02.api.letsencrypt.org/directory" → "acme-v02.api.letsencrypt.org-directory". */
export function directorySlug(directoryUrl: string): string {
  const url = new URL(directoryUrl);
  return `${url.host}${url.pathname}`.replace(/[^a-zA-Z0-9.]+/g, '-').replace(/-+$/, '');
}
