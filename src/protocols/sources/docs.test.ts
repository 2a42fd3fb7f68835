import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../settings/load.js';
import { allSources } from './all.js';
import { definitionOf } from './definition.js';

/**
 * docs/sources.md shows each preset as the configured source it is. Every JSON block there must be a valid
 * config, and a block that defines a preset's source must map exactly as the preset does.
 */

const doc = readFileSync(new URL('../../../docs/sources.md', import.meta.url), 'utf8');
const blocks = [...doc.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1] ?? '') as Record<string, unknown>);
const env = { BILLING_HOOK_TOKEN: 't', PG_API_KEY: 'k', POSTHOG_API_KEY: 'p', MIXPANEL_SECRET: 's' };

describe('docs/sources.md', () => {
  it('every JSON example is a valid config', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    for (const block of blocks) expect(() => parseConfig(block, 'docs/sources.md', env)).not.toThrow();
  });

  it('each preset written as configured sources maps exactly as the preset', () => {
    const presets = allSources(
      parseConfig({ protocols: { vector: { enabled: true }, eventkit: { enabled: true, collectPath: '/ek', prefix: '/ek/v1' }, productgraph: { enabled: true } } }, 'test', {}).protocols,
    );
    const documented = blocks.flatMap((b) => parseConfig(b, 'docs', env).protocols.sources.map((s, i) => definitionOf(s, i))).filter((s) => presets.some((p) => p.name === s.name));
    expect(documented.map((s) => s.name).sort()).toEqual(['eventkit-stream', 'eventkit-track', 'productgraph', 'vector']);
    for (const source of documented) {
      const preset = presets.find((p) => p.name === source.name);
      expect(source.map, source.name).toEqual(preset?.map);
      expect(source.batch).toBe(preset?.batch);
      expect(source.reply(3).status).toBe(preset?.reply(3).status);
    }
  });
});
