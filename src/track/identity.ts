import { createHash } from 'node:crypto';
import type { TrackingConfig } from './config.js';
import type { ClientFields } from './event.js';
import { readCookie, serializeCookie } from './cookies.js';
import { headerValue } from './enrich/headers.js';
import type { RequestFacts } from './request-facts.js';
import { uuidv7 } from './uuid7.js';

export interface IdentityContext {
  readonly cookies: TrackingConfig['cookies'];
  readonly salt: string;
  /** Pixels set no cookie by default: an email client is not a browsing session. */
  readonly setCookies: boolean;
}

/**
 * Fills `vid`/`sid` the same way for every route: client-sent ids win (retries and apps that manage their
 * own ids), then the first-party cookies, then new ids. Cookieless mode derives a visitor id that rotates
 * daily and sets nothing. Anonymized requests get no id and no cookie here (enrichment removes the ids the
 * client sent).
 *
 * Returns the Set-Cookie values to send, already serialized (and so checked): the caller sets them before the
 * events are stored, so nothing about them can fail once they are. Client ids reach here as plain tokens
 * (buildEvent replaces any other), and cookies are read only when they are.
 */
export function applyIdentity(events: ClientFields[], ctx: IdentityContext, facts: RequestFacts): string[] {
  const now = facts.receivedAt;
  if (facts.privacy.action !== 'ignore') return [];
  if (ctx.cookies.mode === 'cookieless') {
    const vid = dailyVisitorHash(ctx.salt, now, facts.clientIp, headerValue(facts.headers, 'user-agent') ?? '', facts.host);
    for (const e of events) e.vid ??= vid;
    return [];
  }
  const cookieHeader = facts.headers.cookie;
  const cookieVid = readCookie(cookieHeader, ctx.cookies.visitorName);
  const cookieSid = readCookie(cookieHeader, ctx.cookies.sessionName);
  const vid = events[0]?.vid ?? cookieVid ?? uuidv7(now.getTime());
  const sid = events[0]?.sid ?? cookieSid ?? uuidv7(now.getTime());
  for (const e of events) {
    e.vid ??= vid;
    e.sid ??= sid;
  }
  if (!ctx.setCookies) return [];
  const base = { domain: ctx.cookies.domain, secure: facts.secure };
  const cookies = [serializeCookie(ctx.cookies.sessionName, sid, { ...base, maxAgeMs: ctx.cookies.sessionTimeout })];
  if (cookieVid !== vid) cookies.push(serializeCookie(ctx.cookies.visitorName, vid, { ...base, maxAgeMs: ctx.cookies.visitorMaxAge }));
  return cookies;
}

function dailyVisitorHash(salt: string, now: Date, ip: string, ua: string, host: string): string {
  const day = now.toISOString().slice(0, 10);
  return createHash('sha256').update(`${salt}|${day}|${host}|${ip}|${ua}`).digest('base64url').slice(0, 22);
}
