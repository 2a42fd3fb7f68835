import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Value } from '@sinclair/typebox/value';
import { DestinationsConfig } from '../src/destinations/config.js';
import { buildDestinations } from '../src/destinations/build.js';
import { deliver, retryDelay } from '../src/destinations/deliver.js';
import { retryAfterMs } from '../src/destinations/http.js';
import { propertiesOf, uuidOf } from '../src/destinations/mapping.js';
import { compileRoute } from '../src/destinations/routing.js';
import type { TrackEvent } from '../src/track/event.js';
import { startReceiver, type Receiver } from './helpers/receivers.js';

const destinations = (raw: Record<string, unknown>) => Value.Decode(DestinationsConfig, Value.Default(DestinationsConfig, Value.Clone(raw)));
const event = (fields: Partial<TrackEvent> = {}): TrackEvent => ({ eid: randomUUID(), received: new Date().toISOString(), origin: 'track', ...fields });

describe('routing rules', () => {
  const route = compileRoute([{ ename: ['purchase', 'signup*'], origin: ['server'] }, { has: ['source'] }, { fields: { 'params.plan': ['pro'] } }]);
  it('matches any rule, every condition of a rule, prefixes and params', () => {
    expect(route(event({ ename: 'purchase', origin: 'server' }))).toBe(true);
    expect(route(event({ ename: 'signup_done', origin: 'server' }))).toBe(true);
    expect(route(event({ ename: 'purchase', origin: 'track' }))).toBe(false);
    expect(route(event({ source: 'newsletter' }))).toBe(true);
    expect(route(event({ source: '' }))).toBe(false);
    expect(route(event({ params: { plan: 'pro' } }))).toBe(true);
    expect(route(event({ params: { plan: 'free' } }))).toBe(false);
    expect(compileRoute([])(event())).toBe(true);
  });
});

describe('retries', () => {
  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(retryAfterMs('7')).toBe(7000);
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(10_000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(null)).toBeUndefined();
  });
  it('backs off exponentially up to the cap, and a Retry-After wins', () => {
    const s = { retryMin: 100, retryMax: 1000 };
    expect(retryDelay(s, 1, undefined, () => 0)).toBe(100);
    expect(retryDelay(s, 3, undefined, () => 0)).toBe(400);
    expect(retryDelay(s, 20, undefined, () => 0)).toBe(1000);
    expect(retryDelay(s, 1, undefined, () => 1)).toBe(120);
    expect(retryDelay(s, 1, 5000)).toBe(5000);
  });
});

describe('ids and config', () => {
  it('keeps a UUID and derives a stable one from any other id', () => {
    const id = randomUUID();
    expect(uuidOf(id)).toBe(id);
    expect(uuidOf('client-id-123')).toBe(uuidOf('client-id-123'));
    expect(uuidOf('client-id-123')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
  it('passes params named like Object.prototype members on as properties', () => {
    const event = { eid: 'e-1', received: '2024-01-01T00:00:00.000Z', origin: 'track', params: { constructor: 'c', toString: 't', ename: 'p' }, ename: 'x' } as TrackEvent;
    const mapping = { distinctId: ['uid'], userId: ['uid'], deviceId: ['did'], event: ['ename'], time: ['received'], exclude: ['raw'] };
    const properties = propertiesOf(event, mapping);
    expect(properties).toMatchObject({ constructor: 'c', toString: 't', ename: 'x' });
  });

  it('refuses a name used twice and a service account without project id', () => {
    expect(() => buildDestinations(destinations({ webhooks: [{ name: 'a', url: 'http://x', secret: 's' }], posthog: [{ name: 'a', apiKey: 'k' }] }))).toThrow(/webhooks\/0\/name: .*already used at \/destinations\/posthog\/0/);
    expect(() => buildDestinations(destinations({ mixpanel: [{ name: 'm', secret: 's', username: 'u' }] }))).toThrow(/projectId/);
    expect(buildDestinations(destinations({ webhooks: [{ name: 'off', enabled: false, url: 'http://x', secret: 's' }] }))).toEqual([]);
  });
});

describe('Amplitude: a 400 naming invalid events', () => {
  let amplitude: Receiver;
  beforeAll(async () => {
    amplitude = await startReceiver('amplitude', { apiKey: 'amp' });
  });
  afterAll(async () => amplitude?.close());

  it('refuses the named events and sends the others again at once', async () => {
    const [destination] = buildDestinations(destinations({ amplitude: [{ name: 'amp', url: amplitude.url, apiKey: 'amp' }] }));
    amplitude.script({ status: 400, body: { code: 400, error: 'Request missing required field', events_with_invalid_fields: { time: [1] } } });
    const events = [event({ vid: 'device-0001' }), event({ vid: 'device-0002' }), event({ vid: 'device-0003' })];
    const outcomes = await deliver(destination as NonNullable<typeof destination>, events);
    expect(outcomes.map((o) => o.kind)).toEqual(['sent', 'dead', 'sent']);
    expect(amplitude.acceptedIds()).toEqual([events[0]?.eid, events[2]?.eid]);
  });
});
