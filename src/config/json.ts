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
    // Node quotes the text around the error ("Unexpected token 's', ...\"token\": s3cret\"... is not valid JSON"):
    // that can be a secret written in the file, so only the reason and the line and column are kept.
    const reason = message.replace(/ in JSON at position \d+.*$/, '').replace(/, (\.\.\.)?".*$/s, '');
    throw new ConfigError(source, [{ path: '', message: `invalid JSON${where}: ${reason}` }]);
  }
}
