import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Client } from 'cassandra-driver';
import type { CassandraConfig } from '../config.js';
import { SinkStartError, reasonOf } from '../errors.js';
import { clientOptions, loadCa } from './client-options.js';

/** setup/schema.cql, found from this file in src/ and in dist/ alike (both sit three levels below the root). */
export const SCHEMA_FILE = fileURLToPath(new URL('../../../setup/schema.cql', import.meta.url));

/** The slice of a pino logger this needs. */
export interface SchemaLog {
  info(fields: Record<string, unknown>, msg?: string): void;
}

/**
 * Substitutes the keyspace and replication. The keyspace is checked by the config schema; the replication map
 * is pasted into CQL, so it must look like one map and nothing more.
 */
export function renderSchema(cql: string, { keyspace, replication }: { keyspace: string; replication: string }): string {
  if (!/^[a-z][a-z0-9_]*$/.test(keyspace)) throw new SinkStartError('cassandra', `invalid keyspace name ${JSON.stringify(keyspace)}`);
  if (!/^\{[^;{}]*\}$/.test(replication.trim())) {
    throw new SinkStartError('cassandra', `replication must be one CQL map like {'class': 'SimpleStrategy', ...}, got ${replication}`);
  }
  return cql.replaceAll('{{keyspace}}', keyspace).replaceAll('{{replication}}', replication.trim());
}

/** Statements of a CQL script, without `--` comments; the driver runs one statement per request. */
export function splitStatements(cql: string): string[] {
  return cql
    .split('\n')
    .map((line) => line.replace(/--.*$/, ''))
    .join('\n')
    .split(';')
    .map((s) => s.replace(/\s+/g, ' ').trim())
    .filter((s) => s.length > 0);
}

/**
 * The refusal of an `ALTER TABLE ... ADD` whose column is already there (Cassandra before 4.1 has no
 * `ADD IF NOT EXISTS`): the statement's work is done. Cassandra 3.x and 4.x say "conflicts with an existing
 * column", 5.x "already exists".
 */
export function columnExists(statement: string, err: unknown): boolean {
  if (!/^ALTER TABLE \S+ ADD /i.test(statement)) return false;
  const message = err instanceof Error ? err.message : String(err);
  return /conflicts with an existing column|already exists/i.test(message);
}

/** `gatehouse setup cassandra`: creates the keyspace and tables; safe to run again (IF NOT EXISTS). */
export async function applyCassandraSchema(config: CassandraConfig, log: SchemaLog, file = SCHEMA_FILE): Promise<number> {
  const statements = splitStatements(renderSchema(await readFile(file, 'utf8'), config));
  const client = new Client(clientOptions(config, { keyspace: false, caPem: loadCa(config.tls.ca) }));
  try {
    await client.connect();
    for (const statement of statements) {
      log.info({ event: 'cassandraSchemaStatement', statement: statement.slice(0, 80) });
      try {
        await client.execute(statement, [], { prepare: false });
      } catch (err) {
        if (!columnExists(statement, err)) throw err;
      }
    }
    log.info({ event: 'cassandraSchemaApplied', keyspace: config.keyspace, statements: statements.length });
    return statements.length;
  } catch (err) {
    throw new SinkStartError('cassandra', `applying ${file} failed: ${reasonOf(err)}`, { cause: err });
  } finally {
    await client.shutdown().catch(() => undefined);
  }
}
