import { describe, expect, it } from 'vitest';
import { accessLine, clfDate } from './access-log-line.js';

// The combined format as log tools parse it (GoAccess' COMBINED, fail2ban's apache/nginx filters).
const COMBINED = /^(\S+) (\S+) (\S+) \[([^\]]+)\] "((?:[^"\\]|\\.)*)" (\d{3}) (\d+|-) "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)"$/;
const COMMON = /^(\S+) (\S+) (\S+) \[([^\]]+)\] "((?:[^"\\]|\\.)*)" (\d{3}) (\d+|-)$/;

const base = {
  ip: '203.0.113.0',
  time: new Date(Date.UTC(2026, 11, 6, 21, 0, 0)),
  method: 'GET',
  path: '/img/v1/',
  httpVersion: '1.1',
  status: 200,
  bytes: 43,
};

describe('access log lines', () => {
  it('writes the combined and common formats as Apache and nginx do', () => {
    const line = accessLine({ ...base, referer: 'https://www.example.com/p', userAgent: 'Mozilla/5.0 (X11)' }, 'combined');
    expect(line).toBe('203.0.113.0 - - [06/Dec/2026:21:00:00 +0000] "GET /img/v1/ HTTP/1.1" 200 43 "https://www.example.com/p" "Mozilla/5.0 (X11)"');
    expect(COMBINED.test(line)).toBe(true);
    expect(accessLine(base, 'common')).toBe('203.0.113.0 - - [06/Dec/2026:21:00:00 +0000] "GET /img/v1/ HTTP/1.1" 200 43');
  });

  it('writes - for what is missing', () => {
    const line = accessLine({ ...base, ip: null, bytes: undefined }, 'combined');
    expect(line).toBe('- - - [06/Dec/2026:21:00:00 +0000] "GET /img/v1/ HTTP/1.1" 200 - "-" "-"');
    expect(COMMON.test(accessLine({ ...base, ip: null, bytes: undefined }, 'common'))).toBe(true);
  });

  it('drops the referer\'s query string and fragment', () => {
    const line = accessLine({ ...base, referer: 'https://shop.example/reset?token=s3cret#x' }, 'combined');
    expect(line).toContain('"https://shop.example/reset"');
    expect(line).not.toContain('s3cret');
  });

  it('escapes what would break a field or a line, so every line parses', () => {
    const hostile = 'evil" 500 0 "x\\\n127.0.0.1 - - [forged]\u00e9\u{1f600}';
    const line = accessLine({ ...base, userAgent: hostile, referer: hostile, path: '/a"b' }, 'combined');
    expect(line).not.toContain('\n');
    const m = COMBINED.exec(line);
    expect(m?.[6]).toBe('200');
    expect(m?.[9]).toBe('evil\\x22 500 0 \\x22x\\x5C\\x0A127.0.0.1 - - [forged]\\xE9\\xF0\\x9F\\x98\\x80');
    expect(m?.[5]).toBe('GET /a\\x22b HTTP/1.1');
  });

  it('dates in UTC with zero-padded fields', () => {
    expect(clfDate(new Date(Date.UTC(2027, 0, 2, 3, 4, 5)))).toBe('02/Jan/2027:03:04:05 +0000');
  });
});
