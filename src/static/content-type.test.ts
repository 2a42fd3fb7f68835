import { describe, expect, it } from 'vitest';
import { mediaType } from './content-type.js';

describe('mediaType', () => {
  it.each([
    ['index.html', 'text/html; charset=utf-8', true, true],
    ['app.JS', 'text/javascript; charset=utf-8', true, false],
    ['styles.css', 'text/css; charset=utf-8', true, false],
    ['icon.svg', 'image/svg+xml', true, false],
    ['photo.png', 'image/png', false, false],
    ['font.woff2', 'font/woff2', false, false],
    // Beyond a short hand-kept table: whatever mime-db knows.
    ['book.epub', 'application/epub+zip', false, false],
    ['graph.jsonld', 'application/ld+json', true, false],
    ['no-extension', 'application/octet-stream', false, false],
    ['data.unknownext', 'application/octet-stream', false, false],
  ])('%s is %s', (file, header, compressible, html) => {
    expect(mediaType(file)).toEqual({ header, compressible, html });
  });
});
