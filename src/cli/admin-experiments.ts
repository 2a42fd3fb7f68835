import type { ExperimentResult } from '../experiments/results.js';
import type { AdminClient } from './admin-client.js';

type Out = (line: string) => void;

/** `gatehouse experiments [NAME]`: every experiment's results (or one), as text or JSON. */
export async function experiments(client: AdminClient, opts: { name?: string; json?: boolean }, out: Out): Promise<number> {
  const list = opts.name
    ? [await client.json<ExperimentResult>('GET', `/admin/experiments/${encodeURIComponent(opts.name)}`)]
    : (await client.json<{ experiments: ExperimentResult[] }>('GET', '/admin/experiments')).experiments;
  if (opts.json) {
    out(JSON.stringify(opts.name ? list[0] : { experiments: list }));
    return 0;
  }
  if (list.length === 0) out('No experiments configured (experiments.list).');
  for (const r of list) printOne(r, out);
  return 0;
}

function printOne(r: ExperimentResult, out: Out): void {
  out(`Experiment ${r.name} (${r.enabled ? 'on' : 'off'}, unit ${r.unit})`);
  for (const v of r.variants) out(`  ${v.name.padEnd(16)} ${String(v.weight).padStart(6)}%  ${fmt(v.units)} units${v.control ? '  (control)' : ''}`);
  const goals = Object.keys(r.variants[0]?.goals ?? {});
  for (const g of goals) {
    out(`  goal ${g}`);
    for (const v of r.variants) {
      const res = v.goals[g];
      if (!res) continue;
      const ci = `[${pct(res.interval.low)}, ${pct(res.interval.high)}]`;
      const vs = res.lift === null ? '' : `  lift ${res.lift >= 0 ? '+' : ''}${pct(res.lift)}`;
      const p = res.p === null ? '' : `  p ${res.p < 0.0001 ? '<0.0001' : res.p.toFixed(4)}`;
      out(`    ${v.name.padEnd(14)} ${fmt(res.conversions)} / ${fmt(v.units)} = ${pct(res.rate)} ${ci}${vs}${p}`);
    }
  }
  const srm = r.sampleRatio;
  if (srm) out(`  sample ratio: chi² ${srm.chi2.toFixed(2)}, p ${srm.p.toFixed(4)}${srm.mismatch ? '  MISMATCH: the split is broken, do not trust these results' : '  ok'}`);
  const x = r.excluded;
  out(`  left out: ${fmt(x.override)} QA overrides, ${fmt(x.moved)} units seen in two variants, ${fmt(x.bots)} bots`);
  out(`  method: ${r.method}`);
  out('');
}

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
const fmt = (n: number) => n.toLocaleString('en-US');
