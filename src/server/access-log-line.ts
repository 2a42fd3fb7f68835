/**
 * Access log lines in the formats web servers have written for decades, so that the tools that read those
 * (GoAccess, AWStats, fail2ban, log shippers' stock parsers) read ours:
 * - common: `host ident authuser [date] "request" status bytes` (NCSA Common Log Format, Apache's `%h %l %u %t
 *   "%r" %>s %b`);
 * - combined: common + ` "referer" "user-agent"` (Apache's and nginx's default `combined`).
 * Quoted fields are escaped as nginx does (`"`, `\`, control and non-ASCII bytes as `\xHH`), so a line always
 * parses: a client cannot end a field early or start a new line.
 */
export type LineFormat = 'common' | 'combined';

export interface LineFields {
  /** As the log may keep it (enrich.ip applied); null becomes `-`. */
  readonly ip: string | null;
  readonly time: Date;
  readonly method: string;
  /** Path without its query string, personal identifiers redacted (see loggedPath). */
  readonly path: string;
  /** `1.1`, `2.0`. */
  readonly httpVersion: string;
  readonly status: number;
  /** Body bytes; unknown (no Content-Length, e.g. chunked) becomes `-`. */
  readonly bytes?: number;
  readonly referer?: string;
  readonly userAgent?: string;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export function accessLine(f: LineFields, format: LineFormat): string {
  const bytes = f.bytes !== undefined && Number.isFinite(f.bytes) ? String(f.bytes) : '-';
  const common = `${unquoted(f.ip)} - - [${clfDate(f.time)}] "${escape(f.method)} ${escape(f.path)} HTTP/${f.httpVersion}" ${f.status} ${bytes}`;
  if (format === 'common') return common;
  return `${common} "${f.referer ? escape(withoutQuery(f.referer)) : '-'}" "${f.userAgent ? escape(f.userAgent) : '-'}"`;
}

/** `06/Dec/2026:21:00:00 +0000`: always UTC, as the rest of Gatehouse's times. */
export function clfDate(d: Date): string {
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

/**
 * The referer without its query string and fragment: the same rule as the path, since a referring page's query
 * carries the same kind of tokens and identifiers.
 */
function withoutQuery(url: string): string {
  const cut = url.search(/[?#]/);
  return cut < 0 ? url : url.slice(0, cut);
}

/** An unquoted field (the address) must not hold a space either. */
function unquoted(value: string | null): string {
  return value ? escape(value).replaceAll(' ', '\\x20') : '-';
}

// eslint-disable-next-line no-control-regex
const UNSAFE = /[\x00-\x1f"\\\x7f-\u{10ffff}]/u;
// eslint-disable-next-line no-control-regex
const UNSAFE_ALL = /[\x00-\x1f"\\\x7f-\u{10ffff}]/gu;

function escape(value: string): string {
  return UNSAFE.test(value) ? value.replace(UNSAFE_ALL, hex) : value;
}

function hex(ch: string): string {
  const code = ch.charCodeAt(0);
  // Header values reach us as latin1 (one char per byte); anything wider is written as its UTF-8 bytes.
  if (code <= 0xff) return `\\x${code.toString(16).toUpperCase().padStart(2, '0')}`;
  return [...Buffer.from(ch, 'utf8')].map((b) => `\\x${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
