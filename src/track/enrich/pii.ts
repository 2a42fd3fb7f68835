import { createHmac } from 'node:crypto';

/**
 * Personal identifiers (email, phone, username) are never stored: only a salted HMAC of a normalised form, so
 * the same person hashes alike across events and sites while the raw value cannot be read back.
 */

export type PiiField = 'email' | 'cell' | 'uname';

export interface PiiHashes {
  ehash?: string;
  chash?: string;
  uhash?: string;
}

export const PII_FIELDS: readonly PiiField[] = ['email', 'cell', 'uname'];

const HASH_FIELD: Record<PiiField, keyof PiiHashes> = { email: 'ehash', cell: 'chash', uname: 'uhash' };

/** Email addresses compare case-insensitively in practice; surrounding spaces come from form fields. */
export function normalizeEmail(value: string): string {
  return value.trim().toLowerCase();
}

/** "+1 (555) 010-9999" and "+15550109999" are the same number: digits only, keeping a leading "+". */
export function normalizeCell(value: string): string {
  const trimmed = value.trim();
  const digits = trimmed.replace(/\D/g, '');
  return digits === '' ? '' : `${trimmed.startsWith('+') ? '+' : ''}${digits}`;
}

/** Usernames keep their case (some systems distinguish it); only surrounding spaces go. */
export function normalizeUname(value: string): string {
  return value.trim();
}

const NORMALIZE: Record<PiiField, (value: string) => string> = {
  email: normalizeEmail,
  cell: normalizeCell,
  uname: normalizeUname,
};

export function hashPii(field: PiiField, value: string, salt: string): string | undefined {
  const normal = NORMALIZE[field](value);
  if (normal === '') return undefined;
  return createHmac('sha256', salt).update(normal).digest('hex');
}

/** Hashes of whichever raw values are given; empty values give no hash. */
export function hashPiiFields(raw: Partial<Record<PiiField, string>>, salt: string): PiiHashes {
  const hashes: PiiHashes = {};
  for (const field of PII_FIELDS) {
    const value = raw[field];
    if (value === undefined) continue;
    const hash = hashPii(field, value, salt);
    if (hash !== undefined) hashes[HASH_FIELD[field]] = hash;
  }
  return hashes;
}
