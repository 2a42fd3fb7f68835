import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/settings/load.js';
import { ConfigError } from '../src/config/errors.js';

const parse = (section: Record<string, unknown>) => parseConfig({ static: section }, 'test', {});

function issues(section: Record<string, unknown>): string[] {
  try {
    parse(section);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
  return [];
}

describe('static config', () => {
  it('has production defaults, sizes decoded to bytes', () => {
    const c = parse({}).static;
    expect(c).toMatchObject({
      root: 'www',
      hosts: [],
      index: ['index.html'],
      spaFallback: false,
      notFoundPage: '404.html',
      cache: { maxBytes: 32_000_000, maxFileSize: 256_000 },
      cacheControl: [],
      defaultCacheControl: 'no-cache',
      compression: { precompressed: true, onTheFly: true, minSize: 1000 },
      etag: true,
      dotfiles: 'deny',
    });
  });

  it('rejects unknown keys, bad enums, bad hosts and path-like page names, each with its path', () => {
    const found = issues({
      colour: 'red',
      dotfiles: 'sometimes',
      hosts: [{ host: 'bad host!', root: 'x' }],
      notFoundPage: '../404.html',
      cacheControl: [{ pattern: '*.js' }],
      cache: { maxBytes: 'lots' },
    });
    expect(found.some((i) => i.startsWith('/static/colour'))).toBe(true);
    expect(found.some((i) => i.startsWith('/static/dotfiles'))).toBe(true);
    expect(found.some((i) => i.startsWith('/static/hosts/0/host'))).toBe(true);
    expect(found.some((i) => i.startsWith('/static/notFoundPage'))).toBe(true);
    expect(found.some((i) => i.startsWith('/static/cacheControl/0'))).toBe(true);
    expect(found.some((i) => i.startsWith('/static/cache/maxBytes'))).toBe(true);
  });
});
