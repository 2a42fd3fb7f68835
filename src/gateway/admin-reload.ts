import type { FastifyInstance } from 'fastify';
import { HttpError } from '../server/errors.js';
import { ConfigError } from '../config/errors.js';
import { ConfigRefusedError } from './reload/reload-errors.js';
import type { ReloadOutcome } from './reload/config-reload.js';

/**
 * `POST /admin/config/reload`: reads config.json again and applies it (as SIGHUP and `gatehouse reload` do).
 * 200 with the new hash and the changed keys; 422 for a file that does not validate, 409 for keys that cannot
 * change live; in both cases nothing changed.
 */
export function adminReloadRoute(app: FastifyInstance, reload: () => Promise<ReloadOutcome>): void {
  app.post('/admin/config/reload', { config: { routeClass: 'admin' } }, async () => {
    try {
      return { reloaded: true, ...(await reload()) };
    } catch (err) {
      if (err instanceof ConfigError) throw new HttpError('CONFIG_INVALID', err.message, { issues: err.issues.map((i) => ({ path: i.path, message: i.message })) });
      if (err instanceof ConfigRefusedError) throw new HttpError('CONFIG_RELOAD_REFUSED', err.message, { keys: err.keys });
      throw new HttpError('CONFIG_RELOAD_FAILED', (err as Error).message, undefined, { cause: err });
    }
  });
}
