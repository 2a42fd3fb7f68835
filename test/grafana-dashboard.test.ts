import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/telemetry/logger.js';
import { Telemetry } from '../src/telemetry/telemetry.js';

/**
 * setup/grafana/gatehouse.json queries only series the code defines, by labels they have: a renamed metric or
 * label fails here, not silently in an operator's dashboard. Definitions are read from the source: named events
 * (`.event('name', help, level, [labels])` → gatehouse_<snake_name>_total) and explicit metrics
 * (`name: 'gatehouse_…'` with their `labelNames`); the process_* and nodejs_* series from prom-client itself.
 */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const path = join(dir, f);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return f.endsWith('.ts') && !f.endsWith('.test.ts') ? [path] : [];
  });
}

const snake = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
const labelsOf = (list: string | undefined) => (list ?? '').split(',').map((l) => l.trim().replace(/^'|'$/g, '')).filter(Boolean);

function definedMetrics(): Map<string, Set<string>> {
  const defined = new Map<string, Set<string>>();
  const add = (name: string, labels: string[]) => defined.set(name, new Set([...(defined.get(name) ?? []), ...labels]));
  for (const file of sourceFiles('src')) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\.event\(\s*'(\w+)',[^]*?'(?:debug|info|warn|error)'(?:,\s*\[([^\]]*)\])?\s*,?\s*\)/g)) {
      add(`gatehouse_${snake(m[1] ?? '')}_total`, labelsOf(m[2]));
    }
    for (const m of text.matchAll(/'(gatehouse_[a-z0-9_]+)'/g)) {
      const after = text.slice((m.index ?? 0) + m[0].length, (m.index ?? 0) + 400);
      const labels = /^[^]*?labelNames:\s*\[([^\]]*)\]/.exec(after.split(/name:\s*'/)[0] ?? '')?.[1];
      add(m[1] ?? '', labelsOf(labels));
    }
  }
  return defined;
}

describe('the Grafana dashboard (setup/grafana/gatehouse.json)', () => {
  const dashboard = JSON.parse(readFileSync('setup/grafana/gatehouse.json', 'utf8')) as { panels: { title: string; targets?: { expr: string }[] }[] };
  const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

  it('has panels with queries', () => {
    expect(exprs.length).toBeGreaterThan(20);
  });

  it('queries only series and labels the code defines', async () => {
    const defined = definedMetrics();
    const standard = await new Telemetry(createLogger('silent')).metrics();
    for (const { panel, expr } of exprs) {
      const series = [...expr.matchAll(/\b((?:gatehouse|process|nodejs)_[a-z0-9_]+)/g)].map((m) => (m[1] ?? '').replace(/_(bucket|count|sum)$/, ''));
      expect(series.length, panel).toBeGreaterThan(0);
      for (const name of series) {
        if (!name.startsWith('gatehouse_')) {
          expect(standard, `${panel}: ${name}`).toMatch(new RegExp(`^# TYPE ${name} `, 'm'));
          continue;
        }
        expect(defined.has(name), `${panel}: ${name}`).toBe(true);
        // Labels are checked where the definition lists them in place (a helper that builds gauges from constants is not read).
        if (defined.get(name)?.size === 0) continue;
        for (const by of expr.matchAll(/by \(([^)]*)\)/g)) {
          for (const label of labelsOf(by[1]).filter((l) => l !== 'le')) expect(defined.get(name), `${panel}: ${name} by ${label}`).toContain(label);
        }
      }
    }
  });
});
