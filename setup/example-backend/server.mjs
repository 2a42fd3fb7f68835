// A tiny app backend for the docker-compose example: the kind of service Gatehouse sits in front of.
// Plain Node, no dependencies. GET / answers an HTML page (a page view once proxied page views are tracked),
// GET /api/hello answers JSON, GET /healthz answers "ok" for the container healthcheck.
import { createServer } from 'node:http';
import process from 'node:process';
import { URL } from 'node:url';

const port = Number(process.env.PORT ?? 3000);

const page = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Example backend</title></head>
<body>
<h1>Example backend</h1>
<p>Served by the app behind Gatehouse.</p>
<script src="/track.js" defer></script>
</body>
</html>
`;

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://backend');
  if (url.pathname === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
  } else if (url.pathname === '/api/hello') {
    const body = JSON.stringify({ hello: url.searchParams.get('name') ?? 'world', forwardedFor: req.headers['x-forwarded-for'] ?? null });
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  } else if (url.pathname === '/') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
  } else {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  }
});

server.listen(port, '0.0.0.0', () => {
  process.stdout.write(`${JSON.stringify({ msg: 'example backend listening', port })}\n`);
});

// Containers stop with SIGTERM: finish in-flight requests, then exit.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => server.close(() => process.exit(0)));
}
