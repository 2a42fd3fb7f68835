import { headerValue, type HeaderMap } from './enrich/headers.js';

/**
 * Browser privacy signals. Global Privacy Control (https://privacycg.github.io/gpc-spec/) is a legal opt-out in
 * several jurisdictions; DNT is its older, unenforced predecessor. What each asks of Gatehouse is configured
 * (`tracking.privacy`): ignore it, anonymize the event (no cookies, no IP, no ids, no hashes) or drop it.
 */
export type PrivacyAction = 'ignore' | 'anonymize' | 'drop';

export interface PrivacyPolicy {
  readonly gpc: PrivacyAction;
  readonly dnt: PrivacyAction;
}

/** What one request's signals ask, decided once per request (see request-facts.ts). */
export interface PrivacyDecision {
  /** The stricter configured action of the signals sent. */
  readonly action: PrivacyAction;
  /** `Sec-GPC: 1` was sent; stored as `gpc` whatever the action. */
  readonly gpc: boolean;
}

/** Identifiers that link an event to a person or a browser; removed from anonymized events. */
export const IDENTITY_FIELDS = ['vid', 'sid', 'uid', 'did'] as const;

const RANK: Record<PrivacyAction, number> = { ignore: 0, anonymize: 1, drop: 2 };

export function decidePrivacy(headers: HeaderMap, policy: PrivacyPolicy): PrivacyDecision {
  const gpc = headerValue(headers, 'sec-gpc')?.trim() === '1';
  const dnt = headerValue(headers, 'dnt')?.trim() === '1';
  let action: PrivacyAction = 'ignore';
  if (gpc && RANK[policy.gpc] > RANK[action]) action = policy.gpc;
  if (dnt && RANK[policy.dnt] > RANK[action]) action = policy.dnt;
  return { action, gpc };
}
