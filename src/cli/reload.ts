import type { Config } from '../settings/schema.js';
import type { ReloadOutcome } from '../gateway/reload/config-reload.js';
import { adminClient, AdminApiError } from './admin-client.js';

/**
 * `gatehouse reload`: asks the running gateway to read config.json again (POST /admin/config/reload). The file has
 * already been validated here (the CLI loads it first), so a broken file is reported before anything is asked.
 */
export async function reload(config: Readonly<Config>, opts: { admin?: string; json?: boolean }, out: (line: string) => void): Promise<number> {
  const client = adminClient(config, opts.admin ? { admin: opts.admin } : {});
  let outcome: ReloadOutcome;
  try {
    outcome = await client.json<ReloadOutcome>('POST', '/admin/config/reload');
  } catch (err) {
    if (!(err instanceof AdminApiError)) throw err;
    out(opts.json ? JSON.stringify({ reloaded: false, error: err.message }) : `reload failed: ${err.message}`);
    return 1;
  }
  if (opts.json) out(JSON.stringify(outcome));
  else {
    const workers = outcome.workers === undefined ? '' : ` in ${outcome.workers} workers`;
    out(`reloaded${workers}: config ${outcome.hash.slice(0, 12)}, ${outcome.changed.length} key${outcome.changed.length === 1 ? '' : 's'} changed`);
    for (const key of outcome.changed) out(`  ${key}`);
  }
  return 0;
}
