import { headerValue, type HeaderMap } from './headers.js';

/**
 * Browser privacy signals. Global Privacy Control (https://privacycg.github.io/gpc-spec/) is a legal opt-out in
 * several jurisdictions; DNT is its older, unenforced predecessor. 'drop' is decided before enrichment (the route
 * records nothing), so only ignore and anonymize reach here.
 */
export type PrivacyAction = 'ignore' | 'anonymize';

export interface PrivacySignals {
  gpc: boolean;
  dnt: boolean;
}

/** Identifiers that link an event to a person or a browser; removed from anonymized events. */
export const IDENTITY_FIELDS = ['vid', 'sid', 'uid', 'did'] as const;

export function privacySignals(headers: HeaderMap): PrivacySignals {
  return {
    gpc: headerValue(headers, 'sec-gpc')?.trim() === '1',
    dnt: headerValue(headers, 'dnt')?.trim() === '1',
  };
}

/** Whether a signal that was sent asks for anonymization under the configured actions. */
export function shouldAnonymize(
  signals: PrivacySignals,
  gpcAction: PrivacyAction = 'anonymize',
  dntAction: PrivacyAction = 'ignore',
): boolean {
  return (signals.gpc && gpcAction === 'anonymize') || (signals.dnt && dntAction === 'anonymize');
}
