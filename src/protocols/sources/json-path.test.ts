import { describe, expect, it } from 'vitest';
import { findPath } from './json-path.js';

describe('findPath', () => {
  it('reads nested objects, literal dotted keys and array indexes', () => {
    const doc = { 'event.type': 'page.view', user: { id: 'u1' }, 'session.id': 's1', items: [{ sku: 'A' }], event: { name: 'nested' } };
    expect(findPath(doc, 'event.type')).toEqual({ value: 'page.view', keys: ['event.type'] });
    expect(findPath(doc, 'user.id')).toEqual({ value: 'u1', keys: ['user', 'id'] });
    expect(findPath(doc, 'session.id')?.value).toBe('s1');
    expect(findPath(doc, 'items.0.sku')?.value).toBe('A');
    // The literal key "event.type" does not hide the nested object "event".
    expect(findPath(doc, 'event.name')?.value).toBe('nested');
    expect(findPath(doc, 'missing.path')).toBeUndefined();
    expect(findPath({ a: null }, 'a')).toBeUndefined();
    expect(findPath({ a: { 'b.c': { d: 1 } } }, 'a.b.c.d')).toEqual({ value: 1, keys: ['a', 'b.c', 'd'] });
  });

  it('does not read inherited properties', () => {
    expect(findPath({}, 'constructor')).toBeUndefined();
    expect(findPath({}, '__proto__')).toBeUndefined();
  });
});
