import { describe, expect, it } from 'vitest';
import { tracingIssues } from './checks.js';
import type { TracingConfig } from './config.js';

const base: TracingConfig = {
  enabled: true,
  endpoint: 'http://127.0.0.1:4318/v1/traces',
  headers: {},
  serviceName: 'gatehouse',
  sampleRatio: 1,
  exportInterval: 5_000,
  exportTimeout: 10_000,
};

describe('tracing config checks', () => {
  it('accepts a local collector, an https one with headers, and a remote one without', () => {
    expect(tracingIssues({ ...base, headers: { 'x-api-key': 'k' } })).toEqual([]);
    expect(tracingIssues({ ...base, endpoint: 'https://api.honeycomb.io/v1/traces', headers: { 'x-honeycomb-team': 'k' } })).toEqual([]);
    expect(tracingIssues({ ...base, endpoint: 'http://otel-collector:4318/v1/traces' })).toEqual([]);
  });

  it('refuses headers sent in clear text to another machine', () => {
    const issues = tracingIssues({ ...base, endpoint: 'http://otel.example.com/v1/traces', headers: { authorization: 'Bearer k' } });
    expect(issues.map((i) => i.path)).toEqual(['/tracing/headers']);
    expect(JSON.stringify(issues)).not.toContain('Bearer');
  });

  it('refuses credentials in the endpoint, without showing them', () => {
    const issues = tracingIssues({ ...base, endpoint: 'https://user:s3cret@otel.example.com/v1/traces' });
    expect(issues.map((i) => i.path)).toEqual(['/tracing/endpoint']);
    expect(JSON.stringify(issues)).not.toContain('s3cret');
  });

  it('checks nothing when tracing is off', () => {
    expect(tracingIssues({ ...base, enabled: false, endpoint: 'http://u:p@otel.example.com/', headers: { a: 'b' } })).toEqual([]);
  });
});
