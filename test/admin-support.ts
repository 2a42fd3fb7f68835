import type { TestGateway } from './helpers/gateway.js';
import type { TrackEvent } from '../src/track/event.js';

/** Shared by the test/admin*.test.ts files: sending events as a browser (or a bot) and calling the admin API. */
export const CHROME_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
export const IPHONE_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
export const BOT_UA = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';

/** POSTs a batch to /tr/v1/ and returns the event ids; fails the test on a non-2xx. */
export async function send(gw: TestGateway, events: Record<string, unknown>[], ua = CHROME_UA): Promise<string[]> {
  const res = await fetch(`${gw.url}/tr/v1/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': ua },
    body: JSON.stringify(events),
  });
  if (!res.ok) throw new Error(`tracking answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { ids: string[] }).ids;
}

export async function admin<T>(gw: TestGateway, path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(gw.adminUrl + path, init);
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

export interface EventPage {
  events: TrackEvent[];
  next: string | null;
}

/** The value of a counter or gauge series in /metrics text (0 when absent). */
export async function metric(gw: TestGateway, series: string, headers: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${gw.adminUrl}/metrics`, { headers })).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}
