import { Type, type StaticDecode } from '@sinclair/typebox';
import { Section, Duration, Size } from '../config/types.js';

export const SpoolConfig = Section(
  {
    dir: Type.String({ default: 'data/spool', minLength: 1, description: 'Directory of the durable event log.' }),
    maxBytes: Size('1GiB', {
      description: 'Most unforwarded bytes kept; past it tracking answers 503 with Retry-After (never a 2xx).',
    }),
    maxEventSize: Size('96KB', {
      description:
        'Largest event accepted, as stored (its JSON, with what the gateway adds: ids, enrichment, a protocol event\'s original payload); a request holding a larger one gets 413 EVENT_TOO_LARGE and nothing of it is stored. Every stored event must be deliverable and storable: one NATS message holds it (max_payload, 1MB by default), and DuckDB\'s memoryLimit must hold 96MB plus 4,096 times it to checkpoint and export such events (validate checks it). From 4KB to 512KB. The default takes every event Segment\'s own limit allows (32KB as sent): a protocol event is kept twice, its properties in params and its original in raw, so a 31KB Segment event is ~77KB as stored.',
    }),
    segmentBytes: Size('16MiB', { description: 'Size at which a new log segment starts.' }),
    preallocate: Type.Boolean({
      default: true,
      description:
        'With fsync "always": each segment is written full of zeros and synced before use (in the background), so a group commit never changes the file\'s size and its synced write is one disk write, not also an inode update or a journal commit. Skipped while the disk has less than 4 segments of free space.',
    }),
    fsync: Type.Union([Type.Literal('always'), Type.Literal('interval'), Type.Literal('never')], {
      default: 'always',
      description:
        'always: fdatasync every group commit before answering (survives power loss); interval: every fsyncInterval (survives process crashes); never: leave it to the OS.',
    }),
    fsyncInterval: Duration('200ms', { description: 'With fsync "interval": how often to sync.' }),
    retryAfter: Duration('5s', { description: 'Retry-After sent with 503 when the spool is full or its writes fail; also how often failed writes are retried.' }),
    publishBatch: Type.Integer({
      minimum: 1,
      maximum: 10_000,
      default: 512,
      description: 'Most records the forwarder hands to one bus publish.',
    }),
    publishInFlight: Type.Integer({
      minimum: 1,
      maximum: 64,
      default: 4,
      description: 'Publishes the forwarder keeps in flight at once (pipelining); the checkpoint still advances in order.',
    }),
    retryMin: Duration('100ms', { description: 'First wait after a failed publish; it doubles on each further failure.' }),
    retryMax: Duration('5s', { description: 'Longest wait between publish retries (a jitter of up to 20% is added).' }),
  },
  { description: 'The local append-only log every accepted event is written to before the 2xx.' },
);

export type SpoolConfig = StaticDecode<typeof SpoolConfig>;
