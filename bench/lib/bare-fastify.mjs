// The baseline: bare Fastify doing no work (the same answers as the tracking routes, and @fastify/http-proxy).
// node bare-fastify.mjs ROOT PORT UPSTREAM_PORT [CERT KEY]: with a certificate, it serves HTTPS (the TLS scenario's floor).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = process.argv[2];
const port = Number(process.argv[3]);
const upstreamPort = Number(process.argv[4]);
const [cert, key] = process.argv.slice(5);
const require = createRequire(join(root, 'package.json'));
const Fastify = require('fastify');
const proxy = require('@fastify/http-proxy');

const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
const app = Fastify({ logger: false, ...(cert && key ? { https: { cert: readFileSync(cert), key: readFileSync(key) } } : {}) });
app.get('/img/v1/', (_req, reply) => reply.header('cache-control', 'no-store').type('image/gif').send(GIF));
app.post('/tr/v1/', (_req, reply) => reply.code(204).send());
app.get('/rdr/v1/', (_req, reply) => reply.redirect('https://example.com/landing', 302));
await app.register(proxy, { upstream: `http://127.0.0.1:${upstreamPort}`, prefix: '/up', rewritePrefix: '/up' });
await app.listen({ host: '127.0.0.1', port });
