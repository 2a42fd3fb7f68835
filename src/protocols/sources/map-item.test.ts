import { describe, expect, it } from 'vitest';
import { HttpError } from '../../server/errors.js';
import { mapItem, type Mapping } from './map-item.js';

const ctx = { root: {}, pathParams: {} };
const map = (item: unknown, mapping: Partial<Mapping>) => mapItem(item, { map: {}, unmapped: 'params', ...mapping }, ctx);
const errorOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof HttpError) return { status: err.statusCode, code: err.code, message: err.message };
    throw err;
  }
  throw new Error('no error');
};

describe('mapItem', () => {
  it('lookup, otherwise, default and constants', () => {
    const mapping = { map: { etyp: { from: 'e', lookup: { $identify: 'identify' }, otherwise: 'track' }, ename: { from: 'e', default: 'unnamed' }, app: { value: 'web' } } };
    expect(map({ e: '$identify' }, mapping).fields).toMatchObject({ etyp: 'identify', ename: '$identify', app: 'web' });
    expect(map({ e: 'Click' }, mapping).fields).toMatchObject({ etyp: 'track', ename: 'Click' });
    expect(map({}, mapping).fields).toEqual({ ename: 'unnamed', app: 'web' });
  });

  it('converts to each field type, and names the field and path when it cannot', () => {
    const mapping = { map: { created: { from: 't', unit: 's' as const }, w: 'width', first: 'isFirst', uid: 'user' } };
    expect(map({ t: 1700000000, width: '1280', isFirst: 'false', user: 42 }, mapping).fields).toEqual({ created: '2023-11-14T22:13:20.000Z', w: 1280, first: false, uid: '42' });
    expect(map({ t: '2024-01-15T10:30:00Z' }, mapping).fields.created).toBe('2024-01-15T10:30:00.000Z');
    expect(errorOf(() => map({ width: 'wide' }, mapping))).toEqual({ status: 400, code: 'INVALID_FIELD', message: '"w" (from "width"): must be a number' });
    expect(errorOf(() => map({ isFirst: 'yes' }, mapping)).message).toBe('"first" (from "isFirst"): must be a boolean');
    expect(errorOf(() => map({ user: ['a'] }, mapping)).message).toBe('"uid" (from "user"): must be a string or number, not an array');
    expect(errorOf(() => map([], mapping)).code).toBe('INVALID_EVENT');
  });

  it('params: spreads skip keys another rule read; unmapped fields kept or dropped', () => {
    const item = { props: { utm_source: 'g', plan: 'pro', n: { a: 1 } }, extra: [1, 2], ctx: { page: 'x' } };
    const mapping = { map: { source: 'props.utm_source', url: 'ctx.page', params: 'props' } };
    expect(map(item, mapping).fields).toEqual({ source: 'g', url: 'x', params: { plan: 'pro', n: '{"a":1}', extra: '[1,2]' } });
    expect(map(item, { ...mapping, unmapped: 'drop' }).fields.params).toEqual({ plan: 'pro', n: '{"a":1}' });
    expect(errorOf(() => map({ props: 'text' }, { map: { params: 'props' } })).message).toBe('"params" (from "props"): must be an object');
  });
});
