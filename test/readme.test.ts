import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonSchema } from '../src/settings/reference.js';
import { CONFIG_DOC, errorsDoc, renderReference } from '../scripts/gen-schema.js';
import { parseConfig } from '../src/settings/load.js';

/** The README and every page it maps: docs/*.md and bench/SUMMARY.md. */
const PAGES = ['README.md', ...readdirSync('docs').filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`), 'bench/SUMMARY.md'];
const text = (page: string) => readFileSync(page, 'utf8');

describe('generated docs are current (run `npm run schema` when this fails)', () => {
  it('config.schema.json matches the schema', () => {
    expect(JSON.parse(readFileSync('config.schema.json', 'utf8'))).toEqual(jsonSchema());
  });
  it('the configuration reference matches the schema', () => {
    const doc = text(CONFIG_DOC);
    expect(renderReference(doc)).toBe(doc);
  });
  it('docs/errors.md lists the error catalogue', () => {
    expect(text('docs/errors.md')).toBe(errorsDoc());
  });
});

describe('the README', () => {
  const readme = text('README.md');
  it('shows exactly the two quick-start commands', () => {
    const quick = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('## Architecture'));
    expect(quick).toContain('npm ci && npm start');
    expect(quick).toContain('npm test');
  });
  it('stays a front page (under 15 KB) that reaches every page of docs/ in one click', () => {
    expect(Buffer.byteLength(readme)).toBeLessThan(15 * 1024);
    for (const page of PAGES.filter((p) => p.startsWith('docs/'))) expect(readme, page).toContain(`](${page})`);
  });
});

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

function anchors(page: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of text(page).replace(/```[^]*?```/g, '').matchAll(/^#{1,6} (.+)$/gm)) {
    const base = slug(m[1] ?? '');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

describe('links between the pages', () => {
  for (const page of PAGES) {
    it(`every relative link in ${page} reaches a file (and its heading)`, () => {
      const body = text(page).replace(/```[^]*?```/g, '');
      for (const m of body.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1] ?? '';
        if (/^(https?:|mailto:)/.test(target)) continue;
        const [file = '', anchor] = target.split('#');
        const path = file === '' ? page : normalize(join(dirname(page), file));
        expect(existsSync(path), `${page} links ${target}`).toBe(true);
        if (anchor && path.endsWith('.md')) expect(anchors(path), `${page} links ${target}`).toContain(anchor);
      }
    });
  }
});

describe('configuration examples in the docs', () => {
  // Each ```json block is a whole config or a fragment of top-level keys; either must validate. Other JSON (a payload,
  // an API answer) is fenced ```jsonc.
  const blocks = PAGES.flatMap((page) => [...text(page).matchAll(/```json\n([^]*?)```/g)].map((m, i) => ({ page, i, block: (m[1] ?? '').trim() })));
  it('has examples to check', () => {
    expect(blocks.length).toBeGreaterThan(2);
  });
  for (const { page, i, block } of blocks) {
    it(`${page} example ${i + 1} is a valid config`, () => {
      const source = block.startsWith('{') ? block : `{${block}}`;
      // Every "${NAME}" an example names is set, as its reader would set it.
      const env = { ...process.env, ...Object.fromEntries([...source.matchAll(/\$\{([A-Z0-9_]+)\}/g)].map((m) => [m[1], 'example-value'])) };
      expect(() => parseConfig(JSON.parse(source), `${page} example ${i + 1}`, env)).not.toThrow();
    });
  }
});
