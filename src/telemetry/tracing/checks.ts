import type { ConfigIssue } from '../../config/errors.js';
import type { TracingConfig } from './config.js';

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/**
 * Rules of `tracing` the schema cannot express. Both keep a collector's credentials where they belong: in
 * `tracing.headers`, and never over plain HTTP to another machine.
 */
export function tracingIssues(c: TracingConfig): ConfigIssue[] {
  if (!c.enabled) return [];
  const issues: ConfigIssue[] = [];
  let url: URL;
  try {
    url = new URL(c.endpoint);
  } catch {
    return [{ path: '/tracing/endpoint', message: 'is not a URL' }];
  }
  // The endpoint is named in the exporter's errors: a password in it would reach the logs. (No value shown.)
  if (url.username || url.password) {
    issues.push({ path: '/tracing/endpoint', message: 'credentials in the URL would show in logs: put them in tracing.headers' });
  }
  if (Object.keys(c.headers).length > 0 && url.protocol === 'http:' && !LOOPBACK.test(url.hostname)) {
    issues.push({
      path: '/tracing/headers',
      message: `would cross the network in clear text to ${url.hostname}: use an https endpoint, or a collector on this machine`,
    });
  }
  return issues;
}
