import type { Destination, SendResult } from './destination.js';
import type { TrackEvent } from '../track/event.js';

/** Longest response body kept for a dead letter: a diagnosis, not a payload. */
const MAX_RESPONSE = 2_048;

/**
 * Sends one batch and reads the answer through the vendor's `interpret`. Network errors and timeouts are
 * retryable: the vendor may or may not have the batch, and every vendor dedupes on the ids we send.
 */
export async function sendBatch(destination: Destination, events: readonly TrackEvent[], signal?: AbortSignal): Promise<SendResult> {
  const request = destination.request(events);
  const timeout = AbortSignal.timeout(destination.settings.timeout);
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
  } catch (err) {
    return { kind: 'retry', reason: `request failed: ${describe(err)}` };
  }
  let body = '';
  try {
    body = (await response.text()).slice(0, MAX_RESPONSE);
  } catch (err) {
    if (response.ok) return { kind: 'retry', reason: `response lost: ${describe(err)}` };
  }
  return destination.interpret(response.status, body, response.headers);
}

/**
 * The answers every vendor shares: 2xx taken; 408, 429 and 5xx retried (with Retry-After); 413 split; 401 and
 * 403 retried too, since a credential is fixed in the config, not in the event; any other 4xx is refused.
 */
export function interpretStatus(status: number, body: string, headers: Headers): SendResult {
  if (status >= 200 && status < 300) return { kind: 'sent' };
  const reason = `HTTP ${status}${body ? `: ${body}` : ''}`;
  if (status === 413) return { kind: 'split', reason };
  if (status === 408 || status === 429 || status >= 500 || status === 401 || status === 403 || status < 200) {
    const after = retryAfterMs(headers.get('retry-after'));
    return after === undefined ? { kind: 'retry', reason } : { kind: 'retry', reason, retryAfterMs: after };
  }
  return { kind: 'rejected', reason };
}

/** Retry-After as delay-seconds or an HTTP date (RFC 9110 §10.2.3), in milliseconds from now. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function describe(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return 'timed out';
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
}
