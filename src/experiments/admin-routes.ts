import type { FastifyInstance } from 'fastify';
import { unsupported } from '../admin/errors.js';
import { notFound } from '../server/errors.js';
import type { ExperimentsConfig } from './config.js';
import type { ExperimentCounts, ExperimentQuery } from './counts.js';
import { experimentQuery, experimentResult, type ExperimentResult } from './results.js';

export interface ExperimentsRoutesOptions {
  readonly config: ExperimentsConfig;
  /** The store's counts (DuckDB, else the Cassandra reads); undefined when this gateway reads no store. */
  readonly counts?: (query: ExperimentQuery) => Promise<ExperimentCounts>;
}

/**
 * `GET /admin/experiments` (every configured experiment with its results) and `GET /admin/experiments/:name`.
 * Without a store that counts, 501 NOT_SUPPORTED_BY_STORE, as the other data routes answer.
 */
export async function experimentsRoutes(app: FastifyInstance, options: ExperimentsRoutesOptions): Promise<void> {
  const { config } = options;
  const resultOf = async (name: string): Promise<ExperimentResult> => {
    const exp = config.list.find((e) => e.name === name);
    if (!exp) throw notFound(`no experiment named ${JSON.stringify(name)} in the config`);
    if (!options.counts) throw unsupported('experiment results');
    return experimentResult(exp, await options.counts(experimentQuery(exp)));
  };
  app.get('/admin/experiments', { config: { routeClass: 'admin' } }, async () => ({
    experiments: await Promise.all(config.list.map((e) => resultOf(e.name))),
  }));
  app.get<{ Params: { name: string } }>('/admin/experiments/:name', { config: { routeClass: 'admin' } }, async (request) => resultOf(request.params.name));
}
