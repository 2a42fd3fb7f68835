import type { IncomingHttpHeaders } from 'node:http';

export type PrivacyAction = 'ignore' | 'anonymize' | 'drop';
const RANK: Record<PrivacyAction, number> = { ignore: 0, anonymize: 1, drop: 2 };

/**
 * What the browser's privacy signals ask of this request: `Sec-GPC: 1` (Global Privacy Control) and, when
 * configured, `DNT: 1`. The stricter configured action wins.
 */
export function privacyAction(headers: IncomingHttpHeaders, policy: { gpc: PrivacyAction; dnt: PrivacyAction }): PrivacyAction {
  let action: PrivacyAction = 'ignore';
  if (headers['sec-gpc'] === '1' && RANK[policy.gpc] > RANK[action]) action = policy.gpc;
  if (headers.dnt === '1' && RANK[policy.dnt] > RANK[action]) action = policy.dnt;
  return action;
}
