import { startGateway, type TestGateway } from './gateway.js';

/**
 * A gateway with every ingestion surface on (tracking routes, a short link, Segment, PostHog, Snowplow, GA4),
 * each with the credentials below, for tests that drive all of them (hostile input, fuzzing).
 */
export const CREDENTIALS = {
  apiKey: 'str-api-key-for-tests',
  segmentKey: 'seg-write-key',
  posthogKey: 'phc_project_key',
  ga4: { measurementId: 'G-TEST', apiSecret: 'ga4-secret' },
  redirectHost: 'shop.test',
  shortLink: 'promo',
} as const;

export async function startIngestGateway(overrides: Record<string, Record<string, unknown>> = {}): Promise<TestGateway> {
  const gw = await startGateway({
    ...overrides,
    tracking: {
      apiKeys: [{ name: 'backend', key: CREDENTIALS.apiKey }],
      redirects: { allowHosts: [CREDENTIALS.redirectHost] },
      ...overrides.tracking,
    },
    protocols: {
      segment: { enabled: true, writeKeys: [{ name: 'backend', key: CREDENTIALS.segmentKey }] },
      snowplow: { enabled: true },
      posthog: { enabled: true, projectKeys: [CREDENTIALS.posthogKey] },
      ga4: { enabled: true, secrets: [CREDENTIALS.ga4] },
      ...overrides.protocols,
    },
  });
  const link = await fetch(`${gw.adminUrl}/admin/links`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ slug: CREDENTIALS.shortLink, url: `https://${CREDENTIALS.redirectHost}/landing` }),
  });
  if (link.status !== 201) throw new Error(`short link not created: ${link.status} ${await link.text()}`);
  return gw;
}

/** Percent-encodes every UTF-8 byte of a string (lone surrogates become U+FFFD, as any client's encoder does). */
export function percentEncode(text: string): string {
  return bytesEncode(Buffer.from(text, 'utf8'));
}

/** Percent-encodes raw bytes, valid UTF-8 or not. */
export function bytesEncode(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += `%${b.toString(16).padStart(2, '0')}`;
  return out;
}

export function queryOf(fields: Readonly<Record<string, string>>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`)
    .join('&');
}

export const basicAuth = (user: string) => `Basic ${Buffer.from(`${user}:`).toString('base64')}`;

export const ga4Path = () => `/mp/collect?measurement_id=${CREDENTIALS.ga4.measurementId}&api_secret=${CREDENTIALS.ga4.apiSecret}`;

/** Request options that never follow redirects and give up rather than hang. */
export const noFollow = (init: RequestInit = {}): RequestInit => ({ redirect: 'manual', signal: AbortSignal.timeout(30_000), ...init });
