import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashPii, hashPiiFields, normalizeCell, normalizeEmail } from './pii.js';

const hmac = (value: string, salt: string) => createHmac('sha256', salt).update(value).digest('hex');

describe('normalisation', () => {
  it('trims and lowercases email', () => expect(normalizeEmail('  Ada@Example.COM ')).toBe('ada@example.com'));
  it('keeps digits and a leading + of a phone number', () => {
    expect(normalizeCell('+1 (555) 010-9999')).toBe('+15550109999');
    expect(normalizeCell('0555 010 9999')).toBe('05550109999');
    expect(normalizeCell('call me')).toBe('');
  });
});

describe('hashPii', () => {
  it('is an HMAC-SHA256 of the normalised value with the salt', () => {
    expect(hashPii('email', ' Ada@Example.com', 'salt')).toBe(hmac('ada@example.com', 'salt'));
    expect(hashPii('cell', '+1 555 0109', 'salt')).toBe(hmac('+15550109', 'salt'));
    expect(hashPii('uname', ' Ada ', 'salt')).toBe(hmac('Ada', 'salt'));
  });

  it('depends on the salt', () => {
    expect(hashPii('email', 'a@b.c', 'one')).not.toBe(hashPii('email', 'a@b.c', 'two'));
  });

  it('gives no hash for empty values', () => {
    expect(hashPii('email', '   ', 'salt')).toBeUndefined();
    expect(hashPiiFields({ email: '', cell: 'x' }, 'salt')).toEqual({});
  });

  it('maps fields to ehash, chash, uhash', () => {
    const hashes = hashPiiFields({ email: 'a@b.c', cell: '+123', uname: 'ada' }, 's');
    expect(Object.keys(hashes).sort()).toEqual(['chash', 'ehash', 'uhash']);
    expect(JSON.stringify(hashes)).not.toMatch(/a@b\.c|\+123|ada/);
  });
});
