import { describe, expect, it } from 'vitest';
import { parseConfig } from '../settings/load.js';
import { workerCount, workerTotal, WORKER_COUNT_ENV } from './worker-config.js';

const acme = { enabled: true, acme: { enabled: true, email: 'ops@example.com', domains: ['example.com'], acceptTermsOfService: true } };

describe('server.workers', () => {
  it('is one process per core by default, and with 0; an integer is taken as is', () => {
    expect(parseConfig({}, 'test', {}).server.workers).toBe('auto');
    expect(workerCount(parseConfig({}, 'test', {}), 6)).toBe(6);
    expect(workerCount(parseConfig({ server: { workers: 0 } }, 'test', {}), 6)).toBe(6);
    expect(workerCount(parseConfig({ server: { workers: 3 } }, 'test', {}), 6)).toBe(3);
    expect(workerCount(parseConfig({ server: { workers: 1 } }, 'test', {}), 6)).toBe(1);
  });

  it('"auto" is one process while ACME is on (challenges and orders live in one process)', () => {
    expect(workerCount(parseConfig({ tls: acme }, 'test', {}), 6)).toBe(1);
    expect(() => parseConfig({ server: { workers: 2 }, tls: acme }, 'test', {})).toThrow(/\/server\/workers: tls\.acme\.enabled needs a single process/);
  });

  it('a worker takes the count the primary decided, and refuses to guess it', () => {
    expect(workerTotal({ [WORKER_COUNT_ENV]: '3' })).toBe(3);
    expect(() => workerTotal({})).toThrow(WORKER_COUNT_ENV);
    expect(() => workerTotal({ [WORKER_COUNT_ENV]: '0' })).toThrow(WORKER_COUNT_ENV);
  });
});
