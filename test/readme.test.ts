import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { jsonSchema } from '../src/settings/reference.js';
import { errorsDoc, renderReadme } from '../scripts/gen-schema.js';
import { parseConfig } from '../src/settings/load.js';

describe('generated docs are current (run `npm run schema` when this fails)', () => {
  it('config.schema.json matches the schema', () => {
    expect(JSON.parse(readFileSync('config.schema.json', 'utf8'))).toEqual(jsonSchema());
  });
  it('docs/errors.md lists the error catalogue', () => {
    expect(readFileSync('docs/errors.md', 'utf8')).toBe(errorsDoc());
  });
  it("the README's configuration reference matches the schema", () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(renderReadme(readme)).toBe(readme);
  });
  it('the README shows exactly the two quick-start commands', () => {
    const readme = readFileSync('README.md', 'utf8');
    const quick = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('## Architecture'));
    expect(quick).toContain('npm ci && npm start');
    expect(quick).toContain('npm test');
  });
});

describe('configuration examples in the README', () => {
  // Each ```json block is a whole config or a fragment of top-level keys; either must validate.
  const readme = readFileSync('README.md', 'utf8');
  const blocks = [...readme.matchAll(/```json\n([^]*?)```/g)].map((m) => (m[1] ?? '').trim());
  it('has examples to check', () => {
    expect(blocks.length).toBeGreaterThan(2);
  });
  for (const [i, block] of blocks.entries()) {
    it(`example ${i + 1} is a valid config`, () => {
      const text = block.startsWith('{') ? block : `{${block}}`;
      const env = { ...process.env, GATEHOUSE_ADMIN_TOKEN: 't', NATS_PASS: 'p', GATEHOUSE_SALT: 's', CASSANDRA_PASSWORD: 'p', POSTHOG_KEY: 'k', MIXPANEL_TOKEN: 'k', AMPLITUDE_KEY: 'k', WEBHOOK_SECRET: 'k', SEGMENT_WRITE_KEY: 'k' };
      expect(() => parseConfig(JSON.parse(text), `README example ${i + 1}`, env)).not.toThrow();
    });
  }
});
