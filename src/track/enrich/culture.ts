/**
 * The visitor's preferred language: the first tag of Accept-Language (RFC 9110 §12.5.4), as sent ("en-US").
 * Clients list languages in preference order, so the first is the choice; q-values rarely reorder them.
 * A wildcard or a malformed tag gives nothing rather than a junk value.
 */
const LANGUAGE_TAG = /^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$/;

export function cultureFrom(acceptLanguage: string | undefined): string | undefined {
  if (!acceptLanguage) return undefined;
  const first = acceptLanguage.split(',', 1)[0]?.split(';', 1)[0]?.trim() ?? '';
  return LANGUAGE_TAG.test(first) ? first : undefined;
}
