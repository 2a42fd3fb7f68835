/**
 * Key authorizations of HTTP-01 challenges in flight (RFC 8555 §8.3). A token is known only between the moment the
 * order asks for it and the end of its validation, and only answered for the name it was issued for.
 */
export class ChallengeStore {
  private readonly pending = new Map<string, { name: string; keyAuthorization: string }>();

  add(token: string, name: string, keyAuthorization: string): void {
    this.pending.set(token, { name: name.toLowerCase(), keyAuthorization });
  }

  remove(token: string): void {
    this.pending.delete(token);
  }

  /** The body to answer with, or undefined. `host` (the request's Host, port allowed) must be the challenged name. */
  response(token: string, host?: string): string | undefined {
    const entry = this.pending.get(token);
    if (!entry) return undefined;
    if (host !== undefined && stripPort(host).toLowerCase() !== entry.name) return undefined;
    return entry.keyAuthorization;
  }

  get size(): number {
    return this.pending.size;
  }
}

/** "example.com:80" → "example.com"; "[::1]:80" → "[::1]". */
export function stripPort(host: string): string {
  const m = /^(\[[^\]]*\]|[^:]*)(:\d+)?$/.exec(host.trim());
  return m?.[1] ?? host;
}
