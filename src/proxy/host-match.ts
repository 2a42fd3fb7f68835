/**
 * A route's host as a find-my-way `host` constraint. Always a RegExp: the Host header carries the port when it
 * is not the default one, and names are case-insensitive (RFC 9110 §4.2.3), neither of which a string
 * constraint can express. A wildcard covers exactly one label, as in TLS certificates and Caddy.
 */
export function hostConstraint(host: string): RegExp {
  const wildcard = host.startsWith('*.');
  const rest = escape(wildcard ? host.slice(2) : host);
  return new RegExp(`^${wildcard ? '[^.:]+\\.' : ''}${rest}(?::\\d+)?$`, 'i');
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
