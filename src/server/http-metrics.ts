import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Counter, Histogram } from 'prom-client';
import type { Telemetry } from '../telemetry/telemetry.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Which class of route answered: tracking, pixel, redirect, shortlink, static, proxy, ops, admin. */
    routeClass?: string;
  }
  interface FastifyRequest {
    /** Set by a handler whose route serves more than one class (the site-root fallback). */
    routeClass: string | null;
  }
}

/** Requests by route class and status, and their latency, for `/metrics`. */
export function httpMetrics(app: FastifyInstance, telemetry: Telemetry, listener: string): void {
  const requests = getOrCreate(telemetry, 'gatehouse_http_requests_total', () =>
    new Counter({
      name: 'gatehouse_http_requests_total',
      help: 'HTTP requests answered, by listener, route class and status.',
      labelNames: ['listener', 'class', 'status'],
      registers: [telemetry.registry],
    }),
  );
  const latency = getOrCreate(telemetry, 'gatehouse_http_request_duration_seconds', () =>
    new Histogram({
      name: 'gatehouse_http_request_duration_seconds',
      help: 'Time from request to response, by listener and route class.',
      labelNames: ['listener', 'class'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [telemetry.registry],
    }),
  );
  if (!app.hasRequestDecorator('routeClass')) app.decorateRequest('routeClass', null);
  // Callback style, as every per-request hook here: an async hook costs a promise and a microtask per request.
  app.addHook('onResponse', (request, reply, done) => {
    const cls = routeClassOf(request) ?? (reply.statusCode === 404 ? 'unmatched' : 'other');
    requests.inc({ listener, class: cls, status: String(reply.statusCode) });
    latency.observe({ listener, class: cls }, reply.elapsedTime / 1000);
    done();
  });
}

/** The class of route that answered: set by the handler (site-root fallback) or by the route's config. */
export function routeClassOf(request: FastifyRequest): string | undefined {
  return request.routeClass ?? request.routeOptions.config?.routeClass;
}

function getOrCreate<T>(telemetry: Telemetry, name: string, create: () => T): T {
  return (telemetry.registry.getSingleMetric(name) as T | undefined) ?? create();
}
