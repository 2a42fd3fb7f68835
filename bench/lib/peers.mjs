// Configurations of the peers (nginx, Caddy, bare Fastify) and of the upstream the proxies forward to.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const TEMP_PATHS = (dir) =>
  ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${join(dir, `${t}-temp`)};`).join('\n');

/**
 * nginx as the peer: one worker, access log off (its best case), the keep-alive limits as configured by
 * default (1,000 requests a connection, like Gatehouse's server.maxRequestsPerSocket).
 */
export function nginxPeerConf(dir, { port, tlsPort, upstreamPort, www, cert, key }) {
  mkdirSync(dir, { recursive: true });
  const conf = `daemon off;
master_process on;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  include /etc/nginx/mime.types;
${TEMP_PATHS(dir)}
  upstream up { server 127.0.0.1:${upstreamPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location /img/v1/ { empty_gif; add_header Cache-Control "no-store, no-cache, must-revalidate, private"; }
    location /tr/v1/ { return 204; }
    location /rdr/v1/ { return 302 https://example.com/landing; }
    location /up/ { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; }
    location / { root ${www}; }
  }
  server {
    listen 127.0.0.1:${tlsPort} ssl;
    ssl_certificate ${cert};
    ssl_certificate_key ${key};
    location /img/v1/ { empty_gif; }
  }
}
`;
  const path = join(dir, 'nginx.conf');
  writeFileSync(path, conf);
  return path;
}

/** The upstream of the proxy scenarios: nginx on the load core, serving /up/1k and /up/100k from memory-cached files. */
export function upstreamConf(dir, { port, root }) {
  mkdirSync(join(root, 'up'), { recursive: true });
  writeFileSync(join(root, 'up', '1k'), 'x'.repeat(1024));
  writeFileSync(join(root, 'up', '100k'), 'y'.repeat(100 * 1024));
  const conf = `daemon off;
master_process on;
worker_processes 1;
pid ${join(dir, 'upstream.pid')};
error_log ${join(dir, 'upstream-error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  keepalive_requests 100000;
  open_file_cache max=100;
  default_type application/octet-stream;
${TEMP_PATHS(dir)}
  server { listen 127.0.0.1:${port}; location / { root ${root}; } }
}
`;
  const path = join(dir, 'upstream.conf');
  writeFileSync(path, conf);
  return path;
}

/** Caddy as a reverse proxy (no admin endpoint, no automatic HTTPS, no access log: its defaults). */
export function caddyConf(dir, { port, upstreamPort }) {
  const conf = `{
  admin off
  auto_https off
}
http://127.0.0.1:${port} {
  reverse_proxy 127.0.0.1:${upstreamPort}
}
`;
  const path = join(dir, 'Caddyfile');
  writeFileSync(path, conf);
  return path;
}

/** Gatehouse's config for a scenario: production defaults, only the ports, paths and limits set for the bench. */
export function gatehouseConf(dir, { port, adminPort, upstreamPort, www, nats, tls, workers = 1, spoolDir, duckdb = {}, extra = {} }) {
  const huge = { points: 100_000_000, burst: 0 };
  const config = {
    server: { listen: { host: '127.0.0.1', port }, workers },
    admin: { listen: { host: '127.0.0.1', port: adminPort } },
    log: { level: 'warn' },
    spool: { dir: spoolDir ?? join(dir, 'spool') },
    bus: nats
      ? { kind: 'nats', nats: { servers: nats.urls, replicas: 3, maxAge: '5m', duplicateWindow: '1m', ...(nats.stream ?? {}) } }
      : { kind: 'memory' },
    sinks: { duckdb: { path: join(dir, 'events.duckdb'), ...duckdb } },
    tracking: { redirects: { allowHosts: ['example.com'] } },
    static: { root: www },
    proxy: { routes: [{ path: '/up/', upstreams: [`http://127.0.0.1:${upstreamPort}`] }] },
    // Rate limiting stays on (its cost is part of every request) with limits no loopback client reaches.
    rateLimit: { rules: Object.fromEntries(['tracking', 'pixel', 'redirect', 'shortlink', 'proxy', 'static'].map((c) => [c, huge])) },
    ...(tls
      ? { tls: { enabled: true, listen: { host: '127.0.0.1', port: tls.port }, certificates: [{ names: ['localhost'], cert: tls.cert, key: tls.key }], defaultName: 'localhost', http2: false } }
      : {}),
    ...extra,
  };
  const path = join(dir, 'gatehouse.json');
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}
