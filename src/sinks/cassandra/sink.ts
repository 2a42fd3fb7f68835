import { Client } from 'cassandra-driver';
import { down, up, type Health } from '../../lifecycle/health.js';
import type { Telemetry } from '../../telemetry/telemetry.js';
import type { TrackEvent } from '../../track/event.js';
import type { LinkStore } from '../../track/links/link-store.js';
import type { CassandraConfig } from '../config.js';
import { SinkQueryError, SinkStartError, reasonOf } from '../errors.js';
import { sinkEvents } from '../events.js';
import { SinkWriteError, type ServiceRecord, type RecordSink } from '../sink.js';
import { partitionBatches } from './batching.js';
import { clientOptions, consistencyOf, loadCa } from './client-options.js';
import { driverReader } from './cql-reader.js';
import { ttlSeconds } from './cql.js';
import { cassandraLinks } from './links.js';
import { createCassandraReads, type CassandraReads } from './reads.js';
import { recordToRow } from './record-rows.js';
import { runGroups } from './run.js';
import { writeEvents } from './write-events.js';

/** The cluster-mode sink and link store, with the reads and erasure of the admin API (`reads`). */
export type CassandraSink = RecordSink & LinkStore & { readonly reads: CassandraReads };

const NAME = 'cassandra';

export function createCassandraSink({ config, telemetry }: { config: CassandraConfig; telemetry: Telemetry }): CassandraSink {
  const events = sinkEvents(telemetry);
  const ttl = ttlSeconds(config.retention);
  let client: Client | undefined;
  let starting: Promise<void> | undefined;
  let closed = false;

  const connected = (): Client => {
    if (closed || !client) throw new SinkWriteError(NAME, closed ? 'the Cassandra sink is closed' : 'the Cassandra sink is not started');
    return client;
  };

  async function guarded(op: string, fn: (c: Client) => Promise<void>): Promise<void> {
    const c = connected();
    try {
      await fn(c);
    } catch (err) {
      events.storeFailed({ sink: NAME, op }, { err: reasonOf(err) });
      throw err instanceof SinkWriteError ? err : new SinkWriteError(NAME, `Cassandra ${op} failed: ${reasonOf(err)}`, { cause: err });
    }
  }

  const sink: CassandraSink = {
    name: NAME,
    start() {
      starting ??= (async () => {
        const c = new Client(clientOptions(config, { caPem: loadCa(config.tls.ca) }));
        try {
          await c.connect();
        } catch (err) {
          await c.shutdown().catch(() => undefined);
          starting = undefined; // a later start() tries again (the cluster may come up)
          throw new SinkStartError(NAME, `cannot connect to Cassandra keyspace ${config.keyspace} (run \`gatehouse setup cassandra\` first): ${reasonOf(err)}`, { cause: err });
        }
        if (closed) await c.shutdown();
        else client = c;
      })();
      return starting;
    },
    write: (batch: readonly TrackEvent[]) =>
      guarded('write', async (c) => {
        const stored = await writeEvents(c, batch, ttl);
        if (stored === 0) return;
        events.eventsStored({ sink: NAME }, {}, stored);
      }),
    writeRecords: (batch: readonly ServiceRecord[]) =>
      guarded('writeRecords', async (c) => {
        const unique = [...new Map(batch.map((r) => [`${r.kind}\u0000${r.id}`, r])).values()];
        if (unique.length === 0) return;
        await runGroups(c, partitionBatches(unique.map(recordToRow)), true);
        const perKind = new Map<string, number>();
        for (const r of unique) perKind.set(r.kind, (perKind.get(r.kind) ?? 0) + 1);
        for (const [kind, n] of perKind) events.recordsStored({ sink: NAME, kind }, {}, n);
      }),
    async healthcheck(): Promise<Health> {
      if (closed || !client) return down(closed ? 'Cassandra sink is closed' : 'Cassandra sink is not started');
      try {
        const rs = await client.execute('SELECT release_version FROM system.local', [], { prepare: false });
        return up(`Cassandra ${String(rs.first()?.get('release_version') ?? '')}`.trim());
      } catch (err) {
        return down(`Cassandra: ${reasonOf(err)}`);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      const c = client;
      client = undefined;
      await c?.shutdown().catch(() => undefined);
    },
    ...cassandraLinks(() => connected()),
    reads: createCassandraReads(
      driverReader(() => {
        if (closed || !client) throw new SinkQueryError(NAME, 'Cassandra reads failed', { cause: new Error(closed ? 'the Cassandra sink is closed' : 'the Cassandra sink is not started') });
        return client;
      }, consistencyOf(config.consistency)),
    ),
  };
  return sink;
}
