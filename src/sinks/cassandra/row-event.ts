import type { TrackEvent } from '../../track/event.js';
import { eventFromColumns } from '../event-columns.js';
import type { CqlRow } from './cql-reader.js';
import { NO_HOST } from './event-rows.js';

/** A row of events_by_day or events_by_visitor as the event it was written from ('' host means none). */
export function rowToEvent(row: CqlRow): TrackEvent {
  const event = eventFromColumns(row);
  if (event.host === NO_HOST) delete event.host;
  return event;
}
