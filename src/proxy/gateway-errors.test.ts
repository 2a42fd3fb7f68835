import { describe, expect, it } from 'vitest';
import { classifyUpstreamError } from './gateway-errors.js';

const wrapped = (code: string, causeCode: string) =>
  Object.assign(new Error('wrapper', { cause: Object.assign(new Error('cause'), { code: causeCode }) }), { code });

describe('classifyUpstreamError', () => {
  it('treats a refused connection as 502 that takes the upstream out', () => {
    expect(classifyUpstreamError(wrapped('FST_REPLY_FROM_INTERNAL_SERVER_ERROR', 'ECONNREFUSED'))).toEqual({
      status: 502,
      code: 'BAD_GATEWAY',
      connect: true,
      reason: 'ECONNREFUSED',
    });
  });

  it('treats a slow response as 504 that keeps the upstream in', () => {
    expect(classifyUpstreamError(wrapped('FST_REPLY_FROM_GATEWAY_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT'))).toMatchObject({
      status: 504,
      connect: false,
    });
  });

  it('treats a connect timeout as 504 that takes the upstream out', () => {
    expect(classifyUpstreamError(wrapped('UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT'))).toMatchObject({ status: 504, connect: true });
  });

  it('treats anything else as 502', () => {
    expect(classifyUpstreamError(new Error('odd'))).toMatchObject({ status: 502, connect: false, reason: 'UNKNOWN' });
  });
});
