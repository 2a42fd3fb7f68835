import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/telemetry/logger.js';
import { Telemetry } from '../src/telemetry/telemetry.js';
import type { CassandraConfig } from '../src/sinks/config.js';
import { contractEvent } from './helpers/sink-contract.js';
import { SinkStartError } from '../src/sinks/errors.js';
import { SinkWriteError } from '../src/sinks/sink.js';
import { applyCassandraSchema, createCassandraSink } from '../src/sinks/cassandra/index.js';
import { freePort } from './helpers/net.js';

/** The sink's lifecycle without a cluster: nothing listens on the port, so connecting fails fast. */
async function unreachable(): Promise<CassandraConfig> {
  return {
    contactPoints: [`127.0.0.1:${await freePort()}`],
    localDataCenter: 'datacenter1',
    keyspace: 'gatehouse',
    replication: "{'class': 'SimpleStrategy', 'replication_factor': 1}",
    username: '',
    password: '',
    consistency: 'LOCAL_QUORUM',
    retention: 0,
    tls: { enabled: false, ca: '' },
  };
}

const telemetry = () => new Telemetry(createLogger('silent'), { defaultMetrics: false });

describe('Cassandra sink lifecycle without a cluster', () => {
  it('fails to start with SinkStartError, reports down, and refuses writes', async () => {
    const sink = createCassandraSink({ config: await unreachable(), telemetry: telemetry() });
    await expect(sink.write([contractEvent()])).rejects.toBeInstanceOf(SinkWriteError);
    await expect(sink.start()).rejects.toBeInstanceOf(SinkStartError);
    expect((await sink.healthcheck()).status).toBe('down');
    await expect(sink.writeRecords([])).rejects.toBeInstanceOf(SinkWriteError);
    await sink.close();
    await sink.close();
  });

  it('reports a schema setup that cannot connect as SinkStartError', async () => {
    await expect(applyCassandraSchema(await unreachable(), createLogger('silent'))).rejects.toBeInstanceOf(SinkStartError);
  });
});
