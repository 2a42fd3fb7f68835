import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assign } from '../src/experiments/assign.js';
import type { ExperimentResult } from '../src/experiments/results.js';
import { startEcho, type Backend } from './helpers/backends.js';
import { runCli, writeConfig } from './helpers/cli.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';

const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';
const signup = {
  name: 'signup',
  paths: ['/signup/*'],
  variants: [
    { name: 'control', weight: 50 },
    { name: 'b', weight: 50 },
  ],
  goals: [
    { name: 'signed', ename: 'signup_done' },
    { name: 'paid', ename: 'signup_done', field: 'etyp', equals: 'paid' },
  ],
};
const UNITS = 400;
let app: Backend;
let gw: TestGateway;

beforeAll(async () => {
  app = await startEcho('app');
  gw = await startGateway({
    static: { enabled: false },
    proxy: { routes: [{ path: '/', upstreams: [app.url] }] },
    experiments: { list: [signup], allowOverride: true },
  });
});
afterAll(async () => {
  await gw?.stop();
  await app?.stop();
});

const page = (vid: string, extra = '', ua = CHROME) => fetch(`${gw.url}/signup/${extra}`, { headers: { cookie: `vid=${vid}; sid=s-${vid}`, 'user-agent': ua } }).then((r) => r.arrayBuffer());
const track = (vid: string, etyp = 'free') => fetch(`${gw.url}/tr/v1/?ename=signup_done&etyp=${etyp}&vid=${vid}`, { headers: { 'user-agent': CHROME } }).then((r) => r.arrayBuffer());

describe('experiment results through the pipeline', () => {
  it('shows a known true lift in its direction, leaves overrides, bots and stray goals out', async () => {
    const exp = { ...signup, enabled: true, hosts: [], unit: 'vid' as const, goals: [] };
    const expected = { control: { units: 0, signed: 0 }, b: { units: 0, signed: 0 } };
    // True rates: control converts 1 in 10, b 3 in 10 (by each arm's own count, so it is exact).
    for (let i = 0; i < UNITS; i++) {
      const vid = `unit-${i}`;
      const variant = assign(exp, vid) as 'control' | 'b';
      const arm = expected[variant];
      await page(vid);
      if (arm.units++ % 10 < (variant === 'b' ? 3 : 1)) {
        await track(vid, arm.signed % 2 === 0 ? 'paid' : 'free');
        arm.signed++;
      }
    }
    await page('qa-1', '?gh_variant=signup:b');
    await page('bot-1', '', 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)');
    // A goal before any exposure does not count: never-exposed visitors are not in the experiment.
    await track('never-exposed');
    await gw.events(UNITS + 2 + expected.control.signed + expected.b.signed + 1);

    const res = await fetch(`${gw.adminUrl}/admin/experiments/signup`);
    expect(res.status).toBe(200);
    const r = (await res.json()) as ExperimentResult;
    const [control, b] = r.variants;
    expect(control).toMatchObject({ name: 'control', control: true, units: expected.control.units });
    expect(b).toMatchObject({ name: 'b', units: expected.b.units });
    expect(control?.goals.signed?.conversions).toBe(expected.control.signed);
    expect(b?.goals.signed?.conversions).toBe(expected.b.signed);
    expect(b?.goals.paid?.conversions).toBe(Math.ceil(expected.b.signed / 2));
    expect(b?.goals.signed?.lift).toBeGreaterThan(1);
    expect(b?.goals.signed?.p).toBeLessThan(0.001);
    expect(r.sampleRatio?.mismatch).toBe(false);
    expect(r.excluded).toEqual({ override: 1, moved: 0, bots: 1 });
    expect(r.method).toMatch(/Wilson/);

    const list = (await (await fetch(`${gw.adminUrl}/admin/experiments`)).json()) as { experiments: ExperimentResult[] };
    expect(list.experiments.map((e) => e.name)).toEqual(['signup']);
    // The same through the CLI (a config that only says where the admin API is).
    const config = writeConfig({ admin: { listen: { host: '127.0.0.1', port: Number(new URL(gw.adminUrl).port) } } });
    const cli = await runCli(['experiments', 'signup', '--config', config.path]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/^Experiment signup \(on, unit vid\)/);
    expect(cli.stdout).toContain(`${expected.b.signed} / ${expected.b.units} = `);
    expect(cli.stdout).toMatch(/sample ratio: chi² [\d.]+, p [\d.]+ {2}ok/);
    const json = await runCli(['experiments', '--config', config.path, '--json']);
    expect((JSON.parse(json.stdout) as { experiments: ExperimentResult[] }).experiments[0]?.variants[1]?.units).toBe(expected.b.units);
    const missing = await fetch(`${gw.adminUrl}/admin/experiments/nope`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  });
});
