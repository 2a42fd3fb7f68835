import { describe, expect, it } from 'vitest';
import { Value } from '@sinclair/typebox/value';
import { RateLimitConfig } from './config.js';
import { rateLimitIssues } from './checks.js';

const decode = (input: unknown) => Value.Decode(RateLimitConfig, Value.Default(RateLimitConfig, input));

describe('rateLimit config', () => {
  it('has a default rule for every class', () => {
    const config = decode({});
    expect(config.rules.tracking).toMatchObject({ key: 'ip', points: 100, burst: 200, duration: 1000, burstWindow: 10_000 });
    expect(config.rules.pixel.points).toBe(50);
    expect(rateLimitIssues(config)).toEqual([]);
  });

  it('reports a Redis store without URL and sub-second windows, with their paths', () => {
    const issues = rateLimitIssues(decode({ store: 'redis', rules: { proxy: { duration: '500ms' } } }));
    expect(issues.map((i) => i.path)).toEqual(['/rateLimit/redis/url', '/rateLimit/rules/proxy/duration']);
  });
});
