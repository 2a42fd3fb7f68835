import { describe, expect, it } from 'vitest';
import { extractAttribution } from './utm.js';

describe('extractAttribution', () => {
  it('drops the utm_ prefix and keeps values as sent', () => {
    const url =
      'https://shop.example/p?utm_source=Newsletter&utm_medium=email&utm_campaign=Spring%20Sale&utm_term=shoes&utm_content=hero&x=1';
    expect(extractAttribution(url)).toEqual({
      utm: { source: 'Newsletter', medium: 'email', campaign: 'Spring Sale', term: 'shoes', content: 'hero' },
      clickIds: {},
    });
  });

  it('records click ids', () => {
    const { utm, clickIds } = extractAttribution('https://shop.example/?gclid=abc&fbclid=def&msclkid=ghi&other=1');
    expect(utm).toEqual({});
    expect(clickIds).toEqual({ gclid: 'abc', fbclid: 'def', msclkid: 'ghi' });
  });

  it('accepts relative URLs, URL objects, URLSearchParams and query maps', () => {
    expect(extractAttribution('/landing?utm_source=x').utm).toEqual({ source: 'x' });
    expect(extractAttribution(new URL('https://a.example/?utm_medium=cpc')).utm).toEqual({ medium: 'cpc' });
    expect(extractAttribution(new URLSearchParams('utm_term=t')).utm).toEqual({ term: 't' });
    expect(extractAttribution({ utm_campaign: 'c', gclid: 'g', utm_source: undefined })).toEqual({
      utm: { campaign: 'c' },
      clickIds: { gclid: 'g' },
    });
  });

  it('gives nothing for empty values, no query, or no input', () => {
    expect(extractAttribution('https://a.example/?utm_source=&gclid=')).toEqual({ utm: {}, clickIds: {} });
    expect(extractAttribution('https://a.example/')).toEqual({ utm: {}, clickIds: {} });
    expect(extractAttribution(undefined)).toEqual({ utm: {}, clickIds: {} });
  });
});
