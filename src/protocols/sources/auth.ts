import type { FastifyRequest } from 'fastify';
import { keyMatcher } from '../keys.js';
import type { SourceAuth } from './config.js';

export type Authenticator = (request: FastifyRequest) => boolean;

/**
 * A source's credential check, compiled once. Tokens are compared in constant time (keyMatcher); a source whose
 * type needs tokens but lists none refuses everything, like a Segment source with no write key.
 */
export function sourceAuthenticator(auth: SourceAuth): Authenticator {
  if (auth.type === 'none') return () => true;
  const find = keyMatcher(auth.tokens, (t) => t);
  const header = auth.header.toLowerCase();
  return (request) => find(credentialOf(auth.type, request, header)) !== undefined;
}

function credentialOf(type: SourceAuth['type'], request: FastifyRequest, header: string): string | undefined {
  if (type === 'header') {
    const value = request.headers[header];
    return typeof value === 'string' ? value.trim() : undefined;
  }
  const m = /^(\S+)\s+(\S+)\s*$/.exec(request.headers.authorization ?? '');
  if (!m?.[1] || !m[2]) return undefined;
  if (type === 'bearer') return m[1].toLowerCase() === 'bearer' ? m[2] : undefined;
  // Basic: the whole "user:password" is the token (RFC 7617).
  return m[1].toLowerCase() === 'basic' ? Buffer.from(m[2], 'base64').toString('utf8') : undefined;
}
