import { describe, expect, it } from 'vitest';
import { buildEvent } from './build.js';
import { parsePathTuples, parseQuery } from './inputs.js';

const limits = { maxParams: 3, maxValueLength: 20 };

describe('buildEvent', () => {
  it('types known fields, moves the rest to params, drops utm_ prefixes, keeps case', () => {
    const r = buildEvent({ ename: 'SignUp', score: '6', first: 'false', utm_source: 'News', plan: 'Pro', url: 'https://X.com/A' }, limits, true);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.event.fields).toMatchObject({ ename: 'SignUp', score: 6, first: false, source: 'News', url: 'https://X.com/A', params: { plan: 'Pro' } });
    expect(r.event.fields.eid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('keeps a client-supplied id (eid or id) so retries deduplicate', () => {
    const a = buildEvent({ eid: 'client-id-0001' }, limits, false);
    const b = buildEvent({ id: 'client-id-0002' }, limits, false);
    expect(a.ok && a.event.fields.eid).toBe('client-id-0001');
    expect(b.ok && b.event.fields.eid).toBe('client-id-0002');
  });

  it('uses content as ename when ename is missing (upstream rule)', () => {
    const r = buildEvent({ content: 'hero-banner' }, limits, true);
    expect(r.ok && r.event.fields.ename).toBe('hero-banner');
  });

  it('keeps PII aside for hashing, never in fields or params', () => {
    const r = buildEvent({ email: 'A@b.com', cell: '+1 555', uname: 'ann' }, limits, false);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.event.pii).toEqual({ email: 'A@b.com', cell: '+1 555', uname: 'ann' });
    expect(JSON.stringify(r.event.fields)).not.toContain('A@b.com');
  });

  it('names every wrong field', () => {
    const r = buildEvent({ score: 'high', ename: 5, first: 'yes', params: { nested: { a: 1 } }, eid: 'bad id!' }, limits, false);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.field).sort()).toEqual(['eid', 'ename', 'first', 'params.nested', 'score']);
  });

  it('in JSON, a number must be a number', () => {
    const r = buildEvent({ score: '6' }, limits, false);
    expect(r.ok).toBe(false);
  });

  it('bounds params count and value length', () => {
    expect(buildEvent({ a: '1', b: '2', c: '3', d: '4' }, limits, true).ok).toBe(false);
    expect(buildEvent({ url: 'x'.repeat(21) }, limits, true).ok).toBe(false);
    expect(buildEvent({ note: 'x'.repeat(21) }, limits, true).ok).toBe(false);
    expect(buildEvent({ ['k'.repeat(129)]: 'v' }, limits, true).ok).toBe(false);
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
