export { createDuckDbStore, type DuckDbStore } from './store.js';
export { cursorAfter } from './cursor.js';
export type { EventFilter } from './filter.js';
export type { EventOwner } from './event-reads.js';
export type { LinkChange } from './links.js';
export type { StatsRange, StatsReport, Ranked } from './stats.js';
export { EXPORT_FORMATS, type ExportFormat } from './export-formats.js';
