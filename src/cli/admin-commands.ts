import type { Config } from '../settings/schema.js';
import { adminClient } from './admin-client.js';
import { events } from './admin-events.js';
import { exportEvents } from './admin-export.js';
import { forget } from './admin-forget.js';
import { stats } from './admin-stats.js';
import { experiments } from './admin-experiments.js';
import { UsageError } from './args.js';

type Out = (line: string) => void;
type Values = Record<string, string | boolean | undefined>;

/** `events`, `stats`, `experiments`, `forget`, `export`: commands that read or erase data through the running gateway's admin API. */
export async function adminCommand(command: string, config: Readonly<Config>, values: Values, out: Out, err: Out, rest: readonly string[] = []): Promise<number> {
  const str = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  const client = adminClient(config, { ...(str('admin') ? { admin: str('admin') as string } : {}) });
  switch (command) {
    case 'events': {
      const limit = str('limit') === undefined ? undefined : Number(str('limit'));
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new UsageError('--limit must be a positive integer');
      const filter = Object.fromEntries(['ename', 'etyp', 'vid', 'uid', 'url', 'since', 'until'].map((k) => [k, str(k)]));
      const abort = new AbortController();
      const stop = () => abort.abort();
      process.once('SIGINT', stop).once('SIGTERM', stop);
      try {
        return await events(client, { follow: values.follow === true, filter, ...(limit ? { limit } : {}), signal: abort.signal }, out);
      } finally {
        process.off('SIGINT', stop).off('SIGTERM', stop);
      }
    }
    case 'stats':
      return stats(client, { ...opt('since', str), ...opt('until', str), json: values.json === true }, out);
    case 'experiments':
      return experiments(client, { ...(rest[0] ? { name: rest[0] } : {}), json: values.json === true }, out);
    case 'forget':
      return forget(client, { ...opt('vid', str), ...opt('uid', str), json: values.json === true }, out);
    case 'export':
      return exportEvents(client, { ...opt('since', str), ...opt('until', str), ...opt('format', str), ...opt('out', str) }, out, err);
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}

function opt(name: string, str: (n: string) => string | undefined): Record<string, string> {
  const v = str(name);
  return v === undefined ? {} : { [name]: v };
}
