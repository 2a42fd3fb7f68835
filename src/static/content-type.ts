import { extname } from 'node:path';
import { lookup } from '../track/dict.js';

/**
 * Media types by file extension: the formats a website ships. Kept here rather than taken from a mime package
 * so that the cached and the streamed paths agree, and so "compressible" is decided in the same table.
 * `z`: worth compressing (text-like); `c`: textual, sent with `charset=utf-8`.
 */
const TYPES: Record<string, { type: string; z?: true; c?: true }> = {
  html: { type: 'text/html', z: true, c: true },
  htm: { type: 'text/html', z: true, c: true },
  css: { type: 'text/css', z: true, c: true },
  js: { type: 'text/javascript', z: true, c: true },
  mjs: { type: 'text/javascript', z: true, c: true },
  cjs: { type: 'text/javascript', z: true, c: true },
  json: { type: 'application/json', z: true, c: true },
  map: { type: 'application/json', z: true, c: true },
  webmanifest: { type: 'application/manifest+json', z: true, c: true },
  txt: { type: 'text/plain', z: true, c: true },
  md: { type: 'text/markdown', z: true, c: true },
  csv: { type: 'text/csv', z: true, c: true },
  xml: { type: 'application/xml', z: true, c: true },
  rss: { type: 'application/rss+xml', z: true, c: true },
  atom: { type: 'application/atom+xml', z: true, c: true },
  svg: { type: 'image/svg+xml', z: true, c: true },
  ics: { type: 'text/calendar', z: true, c: true },
  yaml: { type: 'application/yaml', z: true, c: true },
  yml: { type: 'application/yaml', z: true, c: true },
  wasm: { type: 'application/wasm', z: true },
  ttf: { type: 'font/ttf', z: true },
  otf: { type: 'font/otf', z: true },
  eot: { type: 'application/vnd.ms-fontobject', z: true },
  ico: { type: 'image/x-icon', z: true },
  bmp: { type: 'image/bmp', z: true },
  woff: { type: 'font/woff' },
  woff2: { type: 'font/woff2' },
  png: { type: 'image/png' },
  apng: { type: 'image/apng' },
  jpg: { type: 'image/jpeg' },
  jpeg: { type: 'image/jpeg' },
  gif: { type: 'image/gif' },
  webp: { type: 'image/webp' },
  avif: { type: 'image/avif' },
  pdf: { type: 'application/pdf' },
  zip: { type: 'application/zip' },
  gz: { type: 'application/gzip' },
  mp4: { type: 'video/mp4' },
  webm: { type: 'video/webm' },
  mp3: { type: 'audio/mpeg' },
  ogg: { type: 'audio/ogg' },
  wav: { type: 'audio/wav' },
};

export interface MediaType {
  /** The Content-Type header value. */
  readonly header: string;
  readonly compressible: boolean;
  readonly html: boolean;
}

const OCTET: MediaType = { header: 'application/octet-stream', compressible: false, html: false };

export function mediaType(filePath: string): MediaType {
  const entry = lookup(TYPES, extname(filePath).slice(1).toLowerCase());
  if (!entry) return OCTET;
  return { header: entry.c ? `${entry.type}; charset=utf-8` : entry.type, compressible: entry.z === true, html: entry.type === 'text/html' };
}
