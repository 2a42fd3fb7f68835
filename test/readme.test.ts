import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { jsonSchema } from '../src/config/reference.js';
import { renderReadme } from '../scripts/gen-schema.js';

describe('generated docs are current (run `npm run schema` when this fails)', () => {
  it('config.schema.json matches the schema', () => {
    expect(JSON.parse(readFileSync('config.schema.json', 'utf8'))).toEqual(jsonSchema());
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
