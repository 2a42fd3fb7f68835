import { HttpError } from '../server/errors.js';

/** Runs a mapper for item `index` of a batch; a 400 it throws then names the item, so a client can fix it. */
export function atItem<T>(index: number | undefined, map: () => T): T {
  try {
    return map();
  } catch (err) {
    if (index === undefined || !(err instanceof HttpError) || err.statusCode !== 400) throw err;
    throw new HttpError(err.code, `item ${index}: ${err.message}`, { ...err.details, item: index }, { cause: err });
  }
}
