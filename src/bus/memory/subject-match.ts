/**
 * NATS subject matching (`*` one token, `>` the rest), so a memory-bus subscription filters like a JetStream
 * consumer's filter subject does. https://docs.nats.io/nats-concepts/subjects#wildcards
 */
export function subjectMatches(filter: string, subject: string): boolean {
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    const token = f[i];
    if (token === '>') return s.length > i;
    if (i >= s.length) return false;
    if (token !== '*' && token !== s[i]) return false;
  }
  return f.length === s.length;
}
