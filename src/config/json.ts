import { ConfigError } from './errors.js';

/** JSON.parse with the error's line and column, which Node's message lacks. */
export function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const pos = /position (\d+)/.exec(message);
    let where = '';
    if (pos) {
      const offset = Number(pos[1]);
      const before = text.slice(0, offset);
      const line = before.split('\n').length;
      const column = offset - before.lastIndexOf('\n');
      where = ` at line ${line}, column ${column}`;
    }
    throw new ConfigError(source, [{ path: '', message: `invalid JSON${where}: ${message.replace(/ in JSON at position \d+.*$/, '')}` }]);
  }
}
