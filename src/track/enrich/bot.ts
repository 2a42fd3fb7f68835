import { isbot } from 'isbot';
import { LRUCache } from 'lru-cache';
import { headerValue, type HeaderMap } from './headers.js';
import { parseIp } from './ip.js';
import { compileCidrs } from './cidr.js';
import { BOT_RULES, MAIL_PRIVACY_UA, type BotKind } from './bot-patterns.js';

export type { BotKind } from './bot-patterns.js';

export interface BotVerdict {
  bot: boolean;
  kind?: BotKind;
}

export interface BotDetectorOptions {
  /** More UA patterns (case-insensitive regular expressions) counted as crawlers (config `enrich.bots.extraPatterns`). */
  extraPatterns?: readonly string[];
  /** Addresses or CIDRs of mail privacy proxies (Apple MPP egress ranges); a request from them is `mail-privacy`. */
  mailPrivacyCidrs?: readonly string[];
}

/** `ip` is the resolved client address, needed only to match mailPrivacyCidrs. */
export type BotDetector = (ua: string | undefined, headers?: HeaderMap, ip?: string) => BotVerdict;

const HUMAN: BotVerdict = Object.freeze({ bot: false });

/** Patterns and ranges are compiled once; an invalid pattern or CIDR throws here, at startup. */
export function createBotDetector({ extraPatterns = [], mailPrivacyCidrs = [] }: BotDetectorOptions = {}): BotDetector {
  const extra = extraPatterns.map(compilePattern);
  const privacyRanges = compileCidrs(mailPrivacyCidrs, 'mailPrivacyCidrs');
  const byAgent = (text: string, brands: string): BotVerdict => {
    if (MAIL_PRIVACY_UA.test(text)) return { bot: true, kind: 'mail-privacy' };
    // Headless Chrome names itself in the brand list even when its UA string is disguised.
    for (const [kind, pattern] of BOT_RULES) {
      if (pattern.test(text) || (kind === 'automation' && pattern.test(brands))) return { bot: true, kind };
    }
    // Every browser sends a user agent; a request without one is a script.
    if (text === '') return { bot: true, kind: 'automation' };
    if (extra.some((re) => re.test(text)) || isbot(text)) return { bot: true, kind: 'crawler' };
    return HUMAN;
  };
  // The verdict of a UA string (and brand list) is a pure function of them, and a site sees few distinct ones:
  // caching it saves a few dozen regular expressions a request (isbot's alone was ~2% of the CPU of a pixel).
  const cache = new LRUCache<string, BotVerdict>({ max: 10_000 });
  return (ua, headers, ip) => {
    const addr = ip === undefined ? undefined : parseIp(ip);
    if (addr !== undefined && privacyRanges.has(addr)) return { bot: true, kind: 'mail-privacy' };
    const text = (ua ?? '').trim();
    const brands = headerValue(headers, 'sec-ch-ua') ?? '';
    const key = `${text}\n${brands}`;
    let verdict = cache.get(key);
    if (verdict === undefined) {
      verdict = Object.freeze(byAgent(text, brands));
      cache.set(key, verdict);
    }
    return verdict;
  };
}

const defaultDetector = createBotDetector();

/** The verdict with built-in rules only (no extra patterns, no mail privacy ranges). */
export function botVerdict(ua: string | undefined, headers?: HeaderMap): BotVerdict {
  return defaultDetector(ua, headers);
}

function compilePattern(pattern: string): RegExp {
  try {
    return new RegExp(pattern, 'i');
  } catch (cause) {
    throw new Error(`bots.extraPatterns: ${JSON.stringify(pattern)} is not a valid regular expression`, { cause });
  }
}
