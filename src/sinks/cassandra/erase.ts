import { allRows, type CqlReader, type Statement } from './cql-reader.js';
import { NO_HOST } from './event-rows.js';
import { eraseEventRows, eraseVisitorPartitions, visitorKeys } from './read-statements.js';

/** Deletes in flight at once. */
const CONCURRENCY = 32;

/**
 * Erasure of a visitor (GDPR art. 17): their events_by_visitor rows name every other row of their events
 * (events by eid, events_by_day by host, day, received and eid); those go first, then the visitor's own
 * partitions (events_by_visitor, visitors, sessions). A request cut short leaves the visitor partition in
 * place, so repeating it finishes the job. Returns the events erased. The hits counters are aggregates
 * without the visitor and are left as they are.
 */
export async function eraseVisitor(reader: CqlReader, vid: string): Promise<number> {
  const statements: Statement[] = [];
  let events = 0;
  for await (const row of allRows(reader, visitorKeys(vid))) {
    events++;
    const received = row.received instanceof Date ? row.received : new Date(String(row.received));
    statements.push(...eraseEventRows({ eid: String(row.eid), host: typeof row.host === 'string' ? row.host : NO_HOST, received }));
  }
  await runAll(reader, statements);
  await runAll(reader, eraseVisitorPartitions(vid));
  return events;
}

async function runAll(reader: CqlReader, statements: readonly Statement[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < statements.length) await reader.execute(statements[next++] as Statement);
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, statements.length) }, worker));
}
