import { describe, expect, it } from 'vitest';
import { buildEvent } from './build.js';
import { parsePathTuples, parseQuery } from './inputs.js';

const limits = { maxParams: 3, maxValueLength: 20 };

describe('buildEvent', () => {
  it('types known fields, moves the rest to params, drops utm_ prefixes, keeps case', () => {
    const r = buildEvent({ ename: 'SignUp', score: '6', first: 'false', utm_source: 'News', plan: 'Pro', url: 'https://X.com/A' }, limits);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.event.fields).toMatchObject({ ename: 'SignUp', score: 6, first: false, source: 'News', url: 'https://X.com/A', params: { plan: 'Pro' } });
    expect(r.event.fields.eid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('keeps a client-supplied id (eid or id) so retries deduplicate', () => {
    const a = buildEvent({ eid: 'client-id-0001' }, limits);
    const b = buildEvent({ id: 'client-id-0002' }, limits);
    expect(a.ok && a.event.fields.eid).toBe('client-id-0001');
    expect(b.ok && b.event.fields.eid).toBe('client-id-0002');
  });

  it('uses content as ename when ename is missing (upstream rule)', () => {
    const r = buildEvent({ content: 'hero-banner' }, limits);
    expect(r.ok && r.event.fields.ename).toBe('hero-banner');
  });

  it('keeps PII aside for hashing, never in fields or params', () => {
    const r = buildEvent({ email: 'A@b.com', cell: '+1 555', uname: 'ann' }, limits);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.event.pii).toEqual({ email: 'A@b.com', cell: '+1 555', uname: 'ann' });
    expect(JSON.stringify(r.event.fields)).not.toContain('A@b.com');
  });

  it('takes PII params (any case) aside too: a field wins over a param, the first param over later ones', () => {
    const r = buildEvent({ Email: 'first@b.c', params: { EMAIL: 'second@b.c', CELL: 5550100, plan: 'pro' }, uname: 'ann' }, { ...limits, maxParams: 4 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.event.pii).toEqual({ email: 'first@b.c', cell: '5550100', uname: 'ann' });
    expect(r.event.fields.params).toEqual({ plan: 'pro' });
    const top = buildEvent({ email: 'field@b.c', params: { email: 'param@b.c' } }, limits);
    expect(top.ok && top.event.pii.email).toBe('field@b.c');
    expect(top.ok && top.event.fields.params).toBeUndefined();
  });

  it('counts PII params against maxParams, as sent', () => {
    const r = buildEvent({ params: { a: '1', b: '2', c: '3', email: 'a@b.c' } }, limits);
    expect(r.ok).toBe(false);
  });

  it('names every wrong field', () => {
    const r = buildEvent({ score: 'high', ename: true, first: 'yes', params: { nested: { a: 1 } }, eid: 'bad id!', created: -1 }, limits);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.field).sort()).toEqual(['created', 'eid', 'ename', 'first', 'params.nested', 'score']);
  });

  it('reads JSON in the types the upstream tracker accepted', () => {
    const limits = { maxParams: 10, maxValueLength: 100 };
    const r = buildEvent(
      { created: 1539102052702, first: 'false', eid: 'cw-a', score: '6', duration: 34752, uid: 42, rel: 3, lat: '37.5', params: '{"type":"a"}' },
      limits,
    );
    expect(r.ok && r.event.fields).toMatchObject({
      created: '2018-10-09T16:20:52.702Z', first: false, eid: 'cw-a', score: 6, duration: 34752, uid: '42', rel: '3', lat: 37.5, params: { type: 'a' },
    });
    expect(buildEvent({ created: '1539102052702' }, limits)).toMatchObject({ ok: true, event: { fields: { created: '2018-10-09T16:20:52.702Z' } } });
    expect(buildEvent({ created: '2024-01-02T03:04:05Z' }, limits)).toMatchObject({ ok: true, event: { fields: { created: '2024-01-02T03:04:05Z' } } });
    expect(buildEvent({ first: true, eid: 'a' }, limits)).toMatchObject({ ok: true, event: { fields: { first: true, eid: 'a' } } });
  });

  it('a value that cannot be coerced is named', () => {
    const limits = { maxParams: 10, maxValueLength: 100 };
    const fields = (input: Record<string, unknown>) => {
      const r = buildEvent(input, limits);
      return r.ok ? [] : r.errors.map((e) => e.field);
    };
    expect(fields({ score: '' })).toEqual(['score']);
    expect(fields({ score: 'NaN' })).toEqual(['score']);
    expect(fields({ first: 'yes' })).toEqual(['first']);
    expect(fields({ first: 1 })).toEqual(['first']);
    expect(fields({ created: 1.5 })).toEqual(['created']);
    expect(fields({ created: true })).toEqual(['created']);
    expect(fields({ uid: { id: 1 } })).toEqual(['uid']);
    expect(fields({ eid: 'x'.repeat(65) })).toEqual(['eid']);
    expect(fields({ params: '[1]' })).toEqual(['params']);
    expect(fields({ params: 'not json' })).toEqual(['params']);
  });

  it('bounds params count and value length', () => {
    expect(buildEvent({ a: '1', b: '2', c: '3', d: '4' }, limits).ok).toBe(false);
    expect(buildEvent({ url: 'x'.repeat(21) }, limits).ok).toBe(false);
    expect(buildEvent({ note: 'x'.repeat(21) }, limits).ok).toBe(false);
    expect(buildEvent({ ['k'.repeat(129)]: 'v' }, limits).ok).toBe(false);
  });
});

describe('request inputs', () => {
  it('parses a query strictly', () => {
    expect(parseQuery('/tr/v1/?ename=a%20b&x=1+2')).toEqual({ ok: true, values: { ename: 'a b', x: '1 2' } });
    expect(parseQuery('/tr/v1/?ename=%E0%A4%A').ok).toBe(false);
    expect(parseQuery('/tr/v1/?ename=%C3%28').ok).toBe(false); // invalid UTF-8
    expect(parseQuery('/tr/v1/?a=1&a=2').ok).toBe(false);
  });

  it('reads REST path tuples as key/value pairs', () => {
    expect(parsePathTuples('/vid/ID/ename/signup/score/6')).toEqual({ ok: true, values: { vid: 'ID', ename: 'signup', score: '6' } });
    expect(parsePathTuples('/vid/ID/ename').ok).toBe(false);
  });
});
