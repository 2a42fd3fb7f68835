import { describe, expect, it } from 'vitest';
import { botVerdict, createBotDetector } from './bot.js';

const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';

describe('botVerdict', () => {
  it.each([
    ['Googlebot', 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'crawler'],
    ['bingbot', 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)', 'crawler'],
    ['GPTBot', 'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)', 'ai'],
    ['ClaudeBot', 'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; +claudebot@anthropic.com)', 'ai'],
    ['PerplexityBot', 'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; PerplexityBot/1.0; +https://perplexity.ai/perplexitybot)', 'ai'],
    ['CCBot', 'CCBot/2.0 (https://commoncrawl.org/faq/)', 'ai'],
    ['GoogleImageProxy', 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)', 'image-proxy'],
    ['YahooMailProxy', 'YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html', 'image-proxy'],
    ['Office prefetch', 'Mozilla/4.0 (compatible; ms-office; MSOffice 16)', 'image-proxy'],
    ['Apple MPP', 'Mozilla/5.0', 'mail-privacy'],
    ['Barracuda', 'Mozilla/5.0 (compatible; Barracuda Sentinel (EE))', 'scanner'],
    ['HeadlessChrome', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 Safari/537.36', 'automation'],
    ['PhantomJS', 'Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1', 'automation'],
    ['curl', 'curl/8.5.0', 'automation'],
    ['python-requests', 'python-requests/2.31.0', 'automation'],
  ])('%s is a bot of kind %s', (_name, ua, kind) => {
    expect(botVerdict(ua)).toEqual({ bot: true, kind });
  });

  it.each([
    ['Chrome', CHROME],
    ['Safari iOS', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1'],
    ['Apple Mail without privacy protection', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)'],
    ['Outlook desktop opening mail', 'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)'],
  ])('%s is a person', (_name, ua) => {
    expect(botVerdict(ua)).toEqual({ bot: false });
  });

  it('treats a missing user agent as automation', () => {
    expect(botVerdict(undefined)).toEqual({ bot: true, kind: 'automation' });
  });

  it('recognises headless Chrome by its client-hint brand when the UA is disguised', () => {
    expect(botVerdict(CHROME, { 'sec-ch-ua': '"HeadlessChrome";v="124", "Chromium";v="124"' })).toEqual({
      bot: true,
      kind: 'automation',
    });
  });
});

describe('createBotDetector', () => {
  const detect = createBotDetector({ extraPatterns: ['AcmeProbe/\\d'], mailPrivacyCidrs: ['17.58.0.0/16', '2620:149::/32'] });

  it('applies configured patterns as crawlers', () => {
    expect(detect(`${CHROME} AcmeProbe/3`)).toEqual({ bot: true, kind: 'crawler' });
    expect(detect(`${CHROME} AcmeProbe`)).toEqual({ bot: false });
  });

  it('classes requests from mail privacy ranges as mail-privacy, whatever their UA', () => {
    expect(detect(CHROME, {}, '17.58.1.2')).toEqual({ bot: true, kind: 'mail-privacy' });
    expect(detect(CHROME, {}, '::ffff:17.58.1.2')).toEqual({ bot: true, kind: 'mail-privacy' });
    expect(detect(CHROME, {}, '2620:149:a::1')).toEqual({ bot: true, kind: 'mail-privacy' });
    expect(detect(CHROME, {}, '17.59.1.2')).toEqual({ bot: false });
  });

  it('rejects an invalid range or pattern at construction, naming it', () => {
    expect(() => createBotDetector({ mailPrivacyCidrs: ['17.0.0.0/99'] })).toThrow(/mailPrivacyCidrs/);
    expect(() => createBotDetector({ extraPatterns: ['(unclosed'] })).toThrow(/extraPatterns: "\(unclosed"/);
  });
});
