import { describe, expect, it } from 'vitest';
import { stripHopByHop } from './hop-by-hop.js';

describe('stripHopByHop', () => {
  it('drops Connection, Keep-Alive and the fields Connection names', () => {
    const headers = { connection: 'keep-alive, X-Trace', 'keep-alive': 'timeout=5', 'x-trace': '1', 'content-type': 'text/plain' };
    expect(stripHopByHop(headers)).toEqual({ 'content-type': 'text/plain' });
  });

  it('returns headers without hop-by-hop fields unchanged', () => {
    const headers = { 'content-type': 'text/html', etag: '"x"' };
    expect(stripHopByHop(headers)).toBe(headers);
  });
});
