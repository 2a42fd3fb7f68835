import { nanos } from '@nats-io/transport-node';
import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import type { NatsConfig } from '../config.js';
import type { NatsBusEvents } from '../events.js';
import { StreamConfigError } from './errors.js';

/** The settings Gatehouse relies on; everything else keeps the server's default or the operator's choice. */
export function wantedStream(config: NatsConfig) {
  return {
    name: config.stream,
    subjects: [config.subject, config.deadLetterSubject, ...config.serviceSubjects],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    num_replicas: config.replicas,
    max_age: nanos(config.maxAge),
    duplicate_window: nanos(config.duplicateWindow),
  } satisfies Partial<StreamConfig>;
}

/**
 * Creates the stream, or checks an existing one: what JetStream can change in place (subjects, replicas, max
 * age, duplicate window) is updated; what it cannot (storage, retention) fails with every difference named.
 */
export async function ensureStream(jsm: JetStreamManager, config: NatsConfig, events: NatsBusEvents): Promise<StreamInfo> {
  const wanted = wantedStream(config);
  const existing = await streamInfo(jsm, wanted.name);
  if (!existing) {
    const info = await jsm.streams.add(wanted);
    events.streamCreated({ stream: wanted.name }, { replicas: wanted.num_replicas });
    return info;
  }
  const have = existing.config;
  const fixed = [
    differ('storage', have.storage, wanted.storage),
    differ('retention', have.retention, wanted.retention),
  ].filter((d): d is string => d !== undefined);
  if (fixed.length > 0) {
    throw new StreamConfigError(wanted.name, fixed.map((d) => `${d} (cannot be changed in place: recreate the stream)`));
  }
  const missing = wanted.subjects.filter((s) => !have.subjects.includes(s));
  const changes = [
    missing.length > 0 ? `subjects lack ${missing.join(', ')}` : undefined,
    differ('replicas', have.num_replicas, wanted.num_replicas),
    differ('max age (ns)', have.max_age, wanted.max_age),
    differ('duplicate window (ns)', have.duplicate_window, wanted.duplicate_window),
  ].filter((d): d is string => d !== undefined);
  if (changes.length === 0) return existing;
  try {
    const info = await jsm.streams.update(wanted.name, {
      ...have,
      // Subjects an operator added (service subjects, say) are kept.
      subjects: [...have.subjects, ...missing],
      num_replicas: wanted.num_replicas,
      max_age: wanted.max_age,
      duplicate_window: wanted.duplicate_window,
    });
    events.streamUpdated({ stream: wanted.name }, { changes });
    return info;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new StreamConfigError(wanted.name, [...changes, `update refused: ${reason}`], { cause: err });
  }
}

async function streamInfo(jsm: JetStreamManager, name: string): Promise<StreamInfo | undefined> {
  try {
    return await jsm.streams.info(name);
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) return undefined;
    throw err;
  }
}

function differ(what: string, have: unknown, want: unknown): string | undefined {
  return have === want ? undefined : `${what} is ${String(have)}, config wants ${String(want)}`;
}
