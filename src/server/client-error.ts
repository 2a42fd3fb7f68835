import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import { errorBody, statusOf, type ErrorCode } from './errors.js';

/**
 * Node's `clientError`: a request the HTTP parser refused (malformed line or header, smuggling attempts, headers
 * over `maxHeaderSize`, a slow client past `headersTimeout`). No route ran and no reply object exists, so the
 * answer is written to the socket, in the same JSON shape as every other error, and the connection closed.
 * Used as Fastify's `clientErrorHandler` and on the plain-HTTP redirect listener.
 */
export function writeClientError(err: NodeJS.ErrnoException & { rawPacket?: unknown }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [code, message] = classify(err.code);
  const status = statusOf(code);
  if (socket.writable) {
    const body = JSON.stringify(errorBody(code, message));
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

function classify(code: string | undefined): [ErrorCode, string] {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return ['HEADERS_TOO_LARGE', 'request headers are larger than the server accepts'];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return ['REQUEST_TIMEOUT', 'the request was not received in time'];
    case 'HPE_INVALID_VERSION':
      return ['HTTP_VERSION_NOT_SUPPORTED', 'unsupported HTTP version'];
    default:
      // The parser's own reason (HPE_INVALID_HEADER_TOKEN, HPE_UNEXPECTED_CONTENT_LENGTH, ...) is safe to name.
      return ['BAD_REQUEST', `malformed HTTP request${code?.startsWith('HPE_') ? ` (${code.slice(4).toLowerCase()})` : ''}`];
  }
}
