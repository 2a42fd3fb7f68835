import { describe, expect, it } from 'vitest';
import { createUaParser, parseUa } from './ua.js';

const CHROME_WIN =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';
const SAFARI_IOS =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';
const CHROME_ANDROID =
  'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36';
const IPAD =
  'Mozilla/5.0 (iPad; CPU OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1';
const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0';
const EDGE =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51';

describe('parseUa', () => {
  it.each([
    ['Chrome/Windows', CHROME_WIN, { ua_browser: 'Chrome', ua_browser_version: '124.0.0.0', ua_os: 'Windows', ua_os_version: '10', ua_device: 'desktop' }],
    ['Safari/iOS', SAFARI_IOS, { ua_browser: 'Mobile Safari', ua_browser_version: '17.4', ua_os: 'iOS', ua_os_version: '17.4', ua_device: 'mobile' }],
    ['Android Chrome', CHROME_ANDROID, { ua_browser: 'Chrome', ua_browser_version: '124.0.0.0', ua_os: 'Android', ua_os_version: '10', ua_device: 'mobile' }],
    ['iPad', IPAD, { ua_browser: 'Mobile Safari', ua_browser_version: '17.2', ua_os: 'iOS', ua_os_version: '17.2', ua_device: 'tablet' }],
    ['Firefox/Linux', FIREFOX_LINUX, { ua_browser: 'Firefox', ua_browser_version: '125.0', ua_os: 'Linux', ua_device: 'desktop' }],
    ['Edge', EDGE, { ua_browser: 'Edge', ua_browser_version: '124.0.2478.51', ua_os: 'Windows', ua_os_version: '10', ua_device: 'desktop' }],
  ])('%s', (_name, ua, expected) => {
    expect(parseUa(ua)).toEqual(expected);
  });

  it('defaults an unknown client to desktop with no other fields', () => {
    expect(parseUa('')).toEqual({ ua_device: 'desktop' });
  });
});

describe('createUaParser with client hints', () => {
  const parse = createUaParser({ cacheSize: 10 });

  it('names Brave, which shares Chrome\'s UA string, from Sec-CH-UA', () => {
    const fields = parse(CHROME_WIN, {
      'sec-ch-ua': '"Brave";v="124", "Chromium";v="124", "Not-A.Brand";v="99"',
      'sec-ch-ua-platform': '"Windows"',
      'sec-ch-ua-mobile': '?0',
    });
    expect(fields).toMatchObject({ ua_browser: 'Brave', ua_browser_version: '124', ua_os: 'Windows', ua_device: 'desktop' });
  });

  it('keeps the fuller UA version when the hinted brand and major agree', () => {
    const fields = parse(CHROME_WIN, { 'sec-ch-ua': '"Not)A;Brand";v="99", "Google Chrome";v="124", "Chromium";v="124"' });
    expect(fields).toMatchObject({ ua_browser: 'Chrome', ua_browser_version: '124.0.0.0' });
  });

  it('reads Windows 11 from the platform version hint', () => {
    const fields = parse(CHROME_WIN, { 'sec-ch-ua-platform': '"Windows"', 'sec-ch-ua-platform-version': '"15.0.0"' });
    expect(fields).toMatchObject({ ua_os: 'Windows', ua_os_version: '11' });
  });

  it('marks mobile from Sec-CH-UA-Mobile', () => {
    expect(parse(CHROME_WIN, { 'sec-ch-ua-mobile': '?1' }).ua_device).toBe('mobile');
  });

  it('does not let hints of one request leak into the cached parse of the next', () => {
    parse(CHROME_WIN, { 'sec-ch-ua': '"Brave";v="124"', 'sec-ch-ua-mobile': '?1' });
    expect(parse(CHROME_WIN)).toEqual(parseUa(CHROME_WIN));
  });

  it('uses Chromium only when no more specific brand is listed', () => {
    expect(parse(CHROME_WIN, { 'sec-ch-ua': '"Chromium";v="123", "Not A(Brand";v="8"' })).toMatchObject({
      ua_browser: 'Chromium',
      ua_browser_version: '123',
    });
  });
});
