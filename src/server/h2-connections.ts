import type { Http2SecureServer, Http2ServerRequest, Http2ServerResponse, ServerHttp2Session } from 'node:http2';
import type { TLSSocket } from 'node:tls';

/**
 * Graceful close for an HTTP/2 server with HTTP/1.1 fallback. Node gives http.Server `closeIdleConnections`
 * and `closeAllConnections`, but not Http2SecureServer; without them an idle keep-alive connection holds a
 * shutdown until its deadline. This adds both, and on `close()` closes what is idle and then each connection
 * as its last request finishes.
 */
export function withConnectionTracking(server: Http2SecureServer): Http2SecureServer {
  const sessions = new Map<ServerHttp2Session, number>(); // open streams per HTTP/2 session
  const http1 = new Map<TLSSocket, number>(); // requests in flight per HTTP/1.1 connection
  let closing = false;

  server.on('session', (session: ServerHttp2Session) => {
    sessions.set(session, 0);
    session.on('stream', (stream) => {
      sessions.set(session, (sessions.get(session) ?? 0) + 1);
      stream.once('close', () => {
        const open = (sessions.get(session) ?? 1) - 1;
        sessions.set(session, open);
        if (closing && open === 0) session.close();
      });
    });
    session.once('close', () => sessions.delete(session));
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    if (socket.alpnProtocol === 'h2') return;
    http1.set(socket, 0);
    socket.once('close', () => http1.delete(socket));
  });
  server.on('request', (req: Http2ServerRequest, res: Http2ServerResponse) => {
    if (req.httpVersionMajor !== 1) return;
    const socket = req.socket as unknown as TLSSocket;
    http1.set(socket, (http1.get(socket) ?? 0) + 1);
    res.once('close', () => {
      const busy = (http1.get(socket) ?? 1) - 1;
      http1.set(socket, busy);
      if (closing && busy === 0) socket.destroy();
    });
  });

  const closeIdle = () => {
    for (const [session, open] of sessions) if (open === 0) session.close();
    for (const [socket, busy] of http1) if (busy === 0) socket.destroy();
  };
  const closeAll = () => {
    for (const session of sessions.keys()) session.destroy();
    for (const socket of http1.keys()) socket.destroy();
  };
  const close = server.close.bind(server);
  return Object.assign(server, {
    closeIdleConnections: closeIdle,
    closeAllConnections: closeAll,
    close(callback?: (err?: Error) => void) {
      closing = true;
      close(callback);
      // Sessions get GOAWAY now and end after their open streams; idle HTTP/1.1 connections close.
      for (const session of sessions.keys()) session.close();
      closeIdle();
      return server;
    },
  });
}
