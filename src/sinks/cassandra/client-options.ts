import { readFileSync } from 'node:fs';
import { types, type ClientOptions } from 'cassandra-driver';
import type { CassandraConfig } from '../config.js';

/** Config names (as in cqlsh) to the driver's consistency codes. */
const CONSISTENCY: Readonly<Record<CassandraConfig['consistency'], types.consistencies>> = {
  ONE: types.consistencies.one,
  TWO: types.consistencies.two,
  THREE: types.consistencies.three,
  QUORUM: types.consistencies.quorum,
  ALL: types.consistencies.all,
  LOCAL_QUORUM: types.consistencies.localQuorum,
  EACH_QUORUM: types.consistencies.eachQuorum,
  LOCAL_ONE: types.consistencies.localOne,
};

export function consistencyOf(name: CassandraConfig['consistency']): types.consistencies {
  return CONSISTENCY[name];
}

/**
 * CQL maps are written from JavaScript Maps. The driver encodes a plain object by calling its `hasOwnProperty`,
 * which a null-prototype object (how params are kept, safe from keys such as `__proto__`) does not have, and which
 * a param named "hasOwnProperty" would replace: either would fail the whole batch.
 */
export const CQL_ENCODING = { map: Map };

/**
 * Driver options from the config slice. TLS verifies the nodes' certificates (the upstream tracker had this
 * flag inverted); `caPem` is the CA already read (see loadCa). `keyspace: false` is for schema setup, which
 * runs before the keyspace exists.
 */
export function clientOptions(config: CassandraConfig, { keyspace = true, caPem }: { keyspace?: boolean; caPem?: string } = {}): ClientOptions {
  const options: ClientOptions = {
    contactPoints: [...config.contactPoints],
    localDataCenter: config.localDataCenter,
    queryOptions: { consistency: consistencyOf(config.consistency), prepare: true },
    encoding: CQL_ENCODING,
  };
  if (keyspace) options.keyspace = config.keyspace;
  if (config.username) options.credentials = { username: config.username, password: config.password };
  if (config.tls.enabled) options.sslOptions = { rejectUnauthorized: true, ...(caPem ? { ca: [caPem] } : {}) };
  return options;
}

/** The CA as PEM: the config holds either the PEM itself or the path of a PEM file. */
export function loadCa(value: string): string | undefined {
  if (!value) return undefined;
  return value.includes('-----BEGIN') ? value : readFileSync(value, 'utf8');
}
