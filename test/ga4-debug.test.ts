import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from './helpers/gateway.js';

/** GA4's validation server, `/debug/mp/collect`: the answer Google's docs describe, and nothing stored. */

const ga4 = JSON.parse(readFileSync(new URL('./fixtures/protocols/ga4.json', import.meta.url), 'utf8')) as Record<string, Record<string, unknown>>;
let gw: TestGateway;

beforeAll(async () => {
  gw = await startGateway({ protocols: { ga4: { enabled: true, secrets: [{ measurementId: 'G-TEST123', apiSecret: 'ga-secret' }] } } });
});
afterAll(async () => gw?.stop());

type Messages = { validationMessages: { fieldPath: string; description: string; validationCode: string }[] };
const validate = async (body: unknown, query = 'measurement_id=G-TEST123&api_secret=ga-secret') => {
  const res = await fetch(`${gw.url}/debug/mp/collect?${query}`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  expect(res.status).toBe(200);
  return ((await res.json()) as Messages).validationMessages;
};

describe('GA4 /debug/mp/collect', () => {
  it('the documented examples are valid: an empty validationMessages array', async () => {
    expect(await validate(ga4.tutorial)).toEqual([]);
    expect(await validate(ga4.purchase)).toEqual([]);
  });

  it("Google's own invalid example (an event name starting with _) gets NAME_INVALID on events", async () => {
    const messages = await validate({ app_instance_id: 'APP_INSTANCE_ID', validation_behavior: 'ENFORCE_RECOMMENDATIONS', events: [{ name: '_badEventName', params: {} }] });
    expect(messages).toEqual([
      { fieldPath: 'events', description: expect.stringContaining('[_badEventName]'), validationCode: 'NAME_INVALID' },
    ]);
  });

  it('reports every problem with its field path and code', async () => {
    const messages = await validate({
      user_properties: { first_open_time: { value: 1 }, plan: { value: 'x'.repeat(37) } },
      events: [
        { name: 'session_start' },
        { name: 'x'.repeat(41) },
        { name: 'ok_event', params: { ga_session: 1, note: 'y'.repeat(101), nested: { a: 1 }, ...Object.fromEntries(Array.from({ length: 23 }, (_, i) => [`p${i}`, i])) } },
      ],
    });
    const codes = messages.map((m) => `${m.fieldPath} ${m.validationCode}`);
    expect(codes).toEqual(
      expect.arrayContaining([
        'client_id VALUE_REQUIRED',
        'user_properties.first_open_time NAME_RESERVED',
        'user_properties.plan.value VALUE_OUT_OF_BOUNDS',
        'events NAME_RESERVED',
        'events VALUE_OUT_OF_BOUNDS',
        'events[2].params EXCEEDED_MAX_ENTITIES',
        'events[2].params.ga_session NAME_RESERVED',
        'events[2].params.note VALUE_OUT_OF_BOUNDS',
        'events[2].params.nested VALUE_INVALID',
      ]),
    );
    expect(await validate({ client_id: 'c', events: Array.from({ length: 26 }, () => ({ name: 'e' })) })).toEqual([
      expect.objectContaining({ fieldPath: 'events', validationCode: 'EXCEEDED_MAX_ENTITIES' }),
    ]);
  });

  it('like Google, it checks no secret, reports a malformed body as a message, and stores nothing', async () => {
    expect(await validate({ client_id: 'debug-client', events: [{ name: 'debug_only' }] }, '')).toEqual([]);
    const malformed = await validate('{"client_id": ');
    expect(malformed).toEqual([expect.objectContaining({ fieldPath: '', validationCode: 'VALUE_INVALID' })]);
    // A real event after the debug ones: once it is stored, the debug ones would have been too.
    const real = await fetch(`${gw.url}/mp/collect?measurement_id=G-TEST123&api_secret=ga-secret`, { method: 'POST', body: JSON.stringify({ client_id: 'debug-client', events: [{ name: 'after_debug' }] }) });
    expect(real.status).toBe(204);
    await gw.events(1, { ename: 'after_debug' });
    expect(await gw.store.countEvents({ vid: 'debug-client' })).toBe(1);
  });
});
