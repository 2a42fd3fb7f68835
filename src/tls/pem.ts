import { X509Certificate } from 'node:crypto';

/** What the gateway needs to know about a certificate: whom it covers, who issued it, when it runs out. */
export interface CertificateInfo {
  readonly names: string[];
  readonly issuer: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly serialNumber: string;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----\r?\n?/g;

/** Reads the leaf (first) certificate of a PEM chain. Throws when the text holds no certificate. */
export function describeCertificate(chainPem: string | Buffer): CertificateInfo {
  const leaf = new X509Certificate(chainPem);
  return {
    names: subjectNames(leaf),
    issuer: commonName(leaf.issuer),
    notBefore: new Date(leaf.validFrom),
    notAfter: new Date(leaf.validTo),
    serialNumber: leaf.serialNumber.toLowerCase(),
  };
}

/** Splits a PEM bundle (private key followed by its chain) into its key and its certificates. */
export function splitKeyAndChain(bundle: string): { key: string; cert: string } {
  const blocks = [...bundle.matchAll(PEM_BLOCK)];
  const key = blocks.filter((b) => b[1]?.endsWith('PRIVATE KEY')).map((b) => b[0]);
  const cert = blocks.filter((b) => b[1] === 'CERTIFICATE').map((b) => b[0]);
  if (key.length !== 1 || cert.length === 0) throw new Error('expected one private key and at least one certificate');
  return { key: ensureNewline(key[0] as string), cert: cert.map(ensureNewline).join('') };
}

function subjectNames(cert: X509Certificate): string[] {
  const san = cert.subjectAltName;
  if (san) {
    return san
      .split(', ')
      .filter((entry) => entry.startsWith('DNS:'))
      .map((entry) => entry.slice(4).toLowerCase());
  }
  const cn = commonName(cert.subject);
  return cn ? [cn.toLowerCase()] : [];
}

function commonName(dn: string): string {
  const cn = dn.split('\n').find((part) => part.startsWith('CN='));
  return cn ? cn.slice(3) : dn.replace(/\n/g, ', ');
}

function ensureNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}
