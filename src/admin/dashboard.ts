import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { notFound } from '../server/errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Served without the admin token: the dashboard's own files, which hold no data (the API calls do). */
    publicAsset?: boolean;
  }
}

/** www/admin/, from src/admin (tsx) and dist/admin (built) alike. */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../www/admin/', import.meta.url));

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};
const FILE = /^[a-z0-9-]+\.(html|js|css|svg)$/;

/**
 * The dashboard under `/admin/`: a handful of files read once and kept in memory. The pages ask for the token
 * and send it with each API call, so the files themselves are public (`publicAsset`).
 */
export async function dashboardRoutes(app: FastifyInstance, options: { dir?: string } = {}): Promise<void> {
  const dir = options.dir ?? DASHBOARD_DIR;
  const cache = new Map<string, Buffer>();
  const config = { routeClass: 'admin', publicAsset: true };
  const send = async (name: string) => {
    let body = cache.get(name);
    if (!body) {
      body = await readFile(join(dir, name)).catch(() => undefined);
      if (!body) throw notFound(`no dashboard file ${name}`);
      cache.set(name, body);
    }
    return body;
  };
  const headers = {
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    // Everything is same-origin; no inline script, no third party.
    'content-security-policy': "default-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    'referrer-policy': 'no-referrer',
  };

  app.get('/admin', { config }, async (_request, reply) => reply.redirect('/admin/', 301));
  app.get('/admin/', { config }, async (_request, reply) => reply.headers(headers).type(TYPES.html as string).send(await send('index.html')));
  app.get('/admin/:file', { config }, async (request, reply) => {
    const { file } = request.params as { file: string };
    const m = FILE.exec(file);
    if (!m) throw notFound(`no dashboard file ${file}`);
    return reply.headers(headers).type(TYPES[m[1] as string] as string).send(await send(file));
  });
}
