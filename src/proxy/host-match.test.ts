import { describe, expect, it } from 'vitest';
import { hostConstraint } from './host-match.js';

describe('hostConstraint', () => {
  it('matches an exact name with or without a port, in any case', () => {
    const re = hostConstraint('app.example.com');
    expect(re.test('app.example.com')).toBe(true);
    expect(re.test('APP.example.com:8443')).toBe(true);
    expect(re.test('xapp.example.com')).toBe(false);
    expect(re.test('app.example.com.evil')).toBe(false);
  });

  it('matches one label for a wildcard', () => {
    const re = hostConstraint('*.example.com');
    expect(re.test('a.example.com')).toBe(true);
    expect(re.test('a.example.com:80')).toBe(true);
    expect(re.test('example.com')).toBe(false);
    expect(re.test('a.b.example.com')).toBe(false);
  });
});
