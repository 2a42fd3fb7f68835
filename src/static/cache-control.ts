export interface CacheControlRule {
  readonly pattern: string;
  readonly value: string;
}

/**
 * Compiles the configured rules into one lookup by served file path ("/assets/app.3f2a.js"). A pattern with a
 * leading "/" is anchored at the root ("/assets/*"); any other matches a path suffix at a segment boundary
 * ("*.js", "favicon.ico"), the two forms people write in nginx and Netlify headers files. "*" spans any
 * characters, "/" included. First match wins; no match gets the default (empty: no header).
 */
export function cacheControlFor(rules: readonly CacheControlRule[], fallback: string): (sitePath: string) => string | undefined {
  const compiled = rules.map((r) => ({ re: compile(r.pattern), value: r.value }));
  return (sitePath) => compiled.find((r) => r.re.test(sitePath))?.value ?? (fallback || undefined);
}

function compile(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(pattern.startsWith('/') ? `^${body}$` : `(?:^|/)${body}$`);
}
