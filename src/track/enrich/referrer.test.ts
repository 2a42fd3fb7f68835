import { describe, expect, it } from 'vitest';
import { classifyReferrer, mediumChannel } from './referrer.js';

const SITE = ['shop.example'];

describe('classifyReferrer', () => {
  it.each([
    ['https://www.google.com/', 'search', 'www.google.com'],
    ['https://www.google.co.uk/search?q=x', 'search', 'www.google.co.uk'],
    ['https://www.bing.com/search?q=x', 'search', 'www.bing.com'],
    ['https://duckduckgo.com/', 'search', 'duckduckgo.com'],
    ['https://search.yahoo.com/', 'search', 'search.yahoo.com'],
    ['https://yandex.ru/search/', 'search', 'yandex.ru'],
    ['https://www.ecosia.org/', 'search', 'www.ecosia.org'],
    ['https://search.brave.com/search?q=x', 'search', 'search.brave.com'],
    ['https://t.co/abc', 'social', 't.co'],
    ['https://x.com/someone', 'social', 'x.com'],
    ['https://l.facebook.com/l.php', 'social', 'l.facebook.com'],
    ['https://www.linkedin.com/', 'social', 'www.linkedin.com'],
    ['https://old.reddit.com/r/x', 'social', 'old.reddit.com'],
    ['https://www.youtube.com/watch?v=1', 'social', 'www.youtube.com'],
    ['https://mail.google.com/mail/u/0/', 'email', 'mail.google.com'],
    ['https://outlook.live.com/', 'email', 'outlook.live.com'],
    ['android-app://com.google.android.gm/', 'email', 'com.google.android.gm'],
    ['https://blog.other.example/post', 'other', 'blog.other.example'],
    ['https://shop.example/cart', 'internal', 'shop.example'],
    ['https://www.shop.example/', 'internal', 'www.shop.example'],
  ])('%s → %s', (referrer, channel, host) => {
    expect(classifyReferrer({ referrer, internalHosts: SITE })).toEqual({ ref_host: host, channel });
  });

  it('does not mistake look-alike hosts', () => {
    expect(classifyReferrer({ referrer: 'https://notgoogle.com/' }).channel).toBe('other');
    expect(classifyReferrer({ referrer: 'https://shop.example.evil.test/' , internalHosts: SITE }).channel).toBe('other');
  });

  it('is direct without a referrer, other for a tagged link without one', () => {
    expect(classifyReferrer({})).toEqual({ channel: 'direct' });
    expect(classifyReferrer({ referrer: 'not a url' })).toEqual({ channel: 'direct' });
    expect(classifyReferrer({ source: 'partner' })).toEqual({ channel: 'other' });
  });

  it('lets the UTM medium override the referrer', () => {
    expect(classifyReferrer({ referrer: 'https://www.google.com/', medium: 'cpc' })).toEqual({ ref_host: 'www.google.com', channel: 'paid' });
    expect(classifyReferrer({ referrer: 'https://t.co/x', medium: 'Paid_Social' }).channel).toBe('paid');
    expect(classifyReferrer({ medium: 'email' })).toEqual({ channel: 'email' });
    expect(classifyReferrer({ referrer: 'https://blog.other.example/', medium: 'social' }).channel).toBe('social');
  });

  it('keeps navigation within the site internal despite campaign cookies', () => {
    expect(classifyReferrer({ referrer: 'https://shop.example/a', internalHosts: SITE, medium: 'cpc' }).channel).toBe('internal');
  });

  it('supports wildcard internal hosts', () => {
    expect(classifyReferrer({ referrer: 'https://docs.shop.example/', internalHosts: ['*.shop.example'] }).channel).toBe('internal');
  });
});

describe('mediumChannel', () => {
  it.each([
    ['cpc', 'paid'], ['PPC', 'paid'], ['paid', 'paid'], ['paidsearch', 'paid'], ['email', 'email'], ['E-Mail', 'email'],
    ['newsletter', 'email'], ['social', 'social'], ['social-media', 'social'], ['organic', undefined], ['', undefined],
  ])('%j → %s', (medium, channel) => expect(mediumChannel(medium)).toBe(channel));
});
