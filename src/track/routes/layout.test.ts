import { describe, expect, it } from 'vitest';
import { allRoutePrefixes, routePrefixes } from './layout.js';

const routes = { track: '/tr/v1', server: '/str/v1', pixel: '/img/v1', redirect: '/rdr/v1', ltv: '/tlv/v1', shortLinks: '/', current: '/tr/v1' };

describe('route layouts', () => {
  it('serves each route under its own prefix and the current layout’s', () => {
    expect(routePrefixes(routes, 'track')).toEqual(['/tr/v1', '/tr/v1/tr']);
    expect(routePrefixes(routes, 'pixel')).toEqual(['/img/v1', '/tr/v1/img']);
    expect(routePrefixes(routes, 'redirect')).toEqual(['/rdr/v1', '/tr/v1/rdr']);
    expect(routePrefixes(routes, 'server')).toEqual(['/str/v1', '/tr/v1/str']);
    expect(routePrefixes(routes, 'ltv')).toEqual(['/tlv/v1', '/tr/v1/ltv']);
  });

  it('"" turns the current layout off; a prefix equal to it is served once', () => {
    expect(routePrefixes({ ...routes, current: '' }, 'pixel')).toEqual(['/img/v1']);
    expect(routePrefixes({ ...routes, pixel: '/tr/v1/img' }, 'pixel')).toEqual(['/tr/v1/img']);
  });

  it('lists every prefix once, for the proxy to keep away from', () => {
    expect(allRoutePrefixes(routes).sort()).toEqual(['/img/v1', '/rdr/v1', '/str/v1', '/tlv/v1', '/tr/v1', '/tr/v1/img', '/tr/v1/ltv', '/tr/v1/rdr', '/tr/v1/str', '/tr/v1/tr']);
  });
});
