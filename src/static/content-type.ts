import compressible from 'compressible';
import { charset, lookup } from 'mime-types';

/**
 * Media types by file extension, from mime-db (through mime-types, which also settles extensions claimed by two
 * types) and whether a type is worth compressing from the same database (through compressible). Textual types
 * that mime-db gives a charset are sent with `charset=utf-8`. One function for the cached and the streamed paths,
 * so they always agree.
 */
export interface MediaType {
  /** The Content-Type header value. */
  readonly header: string;
  readonly compressible: boolean;
  readonly html: boolean;
}

const OCTET: MediaType = { header: 'application/octet-stream', compressible: false, html: false };

export function mediaType(filePath: string): MediaType {
  const type = lookup(filePath);
  if (type === false) return OCTET;
  return {
    header: charset(type) === 'UTF-8' ? `${type}; charset=utf-8` : type,
    compressible: compressible(type) === true,
    html: type === 'text/html',
  };
}
