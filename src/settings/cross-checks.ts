import type { Config } from './schema.js';
import type { ConfigIssue } from '../config/errors.js';
import { tlsCrossChecks } from '../tls/cross-checks.js';
import { rateLimitIssues } from '../ratelimit/index.js';
import { proxyClaimsRoot } from '../proxy/index.js';
import { sourcesIssues } from './source-checks.js';
import { experimentsIssues } from '../experiments/checks.js';
import { tracingIssues } from '../telemetry/tracing/checks.js';

/**
 * What sinks.duckdb.memoryLimit must hold for events of up to spool.maxEventSize (other than 0): DuckDB checkpoints
 * and exports a vector of 2,048 events at a time, and the JSON writer of an ndjson export copies it again. Fitted
 * to measurements at DuckDB 1.5 (docs/input-limits.md, "Event size"): at 128 MB exports of 4 KB events passed and of
 * 8 KB failed (ndjson), and checkpoints failed from 29.5 KB; at 192 MB 16 KB events passed, at 256 MB 32 KB (64 KB
 * failed), at 384 MB 64 KB, at 512 MB 95 KB.
 */
const DUCKDB_BASE_MEMORY = 96_000_000; // sizes count MB in 1,000,000 bytes
const DUCKDB_MEMORY_PER_EVENT_BYTE = 4_096;
/** spool.maxEventSize: room for the ids and enrichment of any event; within one NATS message (1 MB by default). */
const MIN_EVENT_SIZE = 4_000;
const MAX_EVENT_SIZE = 512_000;

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** Rules that span fields, run after the schema accepted the config. */
export function crossChecks(c: Config): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add = (path: string, message: string, value?: unknown) => issues.push({ path, message, value });

  if (c.bus.kind === 'nats' && c.bus.nats.servers.length === 0) {
    add('/bus/nats/servers', 'bus.kind is "nats" but no servers are listed');
  }
  if (c.consumer.sinks.includes('cassandra') && c.sinks.cassandra.contactPoints.length === 0) {
    add('/sinks/cassandra/contactPoints', 'consumer.sinks includes "cassandra" but no contact points are listed');
  }
  const nats = c.bus.nats;
  const service = c.consumer.serviceSubjects;
  if (service.enabled && c.bus.kind === 'nats') {
    for (const subject of [service.logs, service.counts, service.updates]) {
      if (!nats.serviceSubjects.includes(subject)) {
        add('/bus/nats/serviceSubjects', `add ${JSON.stringify(subject)} so the stream captures consumer.serviceSubjects`, nats.serviceSubjects);
      }
    }
  }
  nats.servers.forEach((server, i) => {
    // The servers are named in errors, logs and /readyz: a password in one would be shown to anyone. (The value
    // is left out of the issue for the same reason.)
    if (/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(server)) {
      add(`/bus/nats/servers/${i}`, 'credentials in the URL would show in logs and /readyz: use bus.nats.user and bus.nats.pass, or token, creds or nkey');
    }
  });
  if (Boolean(nats.user) !== Boolean(nats.pass)) add('/bus/nats/pass', 'user and pass go together');
  if (Boolean(nats.tls.cert) !== Boolean(nats.tls.key)) add('/bus/nats/tls/key', 'tls.cert and tls.key go together');

  if (c.consumer.ackWait < 1_000) {
    add('/consumer/ackWait', 'must be at least 1s: the progress a batch being written signals (every third of the wait) must reach the bus in time');
  }

  const maxEvent = c.spool.maxEventSize;
  if (maxEvent < MIN_EVENT_SIZE || maxEvent > MAX_EVENT_SIZE) {
    add('/spool/maxEventSize', 'must be from 4KB (an event\'s ids and enrichment) to 512KB (one NATS message holds an event, 1MB by default)');
  }
  // A limit too small to store and export the largest accepted event with is refused here, not at a checkpoint that
  // invalidates the file or an export that runs out of memory.
  const duckdbMemory = c.sinks.duckdb.memoryLimit;
  const needed = DUCKDB_BASE_MEMORY + DUCKDB_MEMORY_PER_EVENT_BYTE * maxEvent;
  if (duckdbMemory !== 0 && duckdbMemory < needed) {
    add(
      '/sinks/duckdb/memoryLimit',
      `must be 0 (DuckDB's own default) or at least ${Math.ceil(needed / 1_000_000)}MB for events of up to spool.maxEventSize (${maxEvent} bytes): ` +
        'DuckDB checkpoints and exports 2,048 events at a time; raise it or lower spool.maxEventSize',
    );
  }

  if (c.admin.enabled && !LOOPBACK.has(c.admin.listen.host) && !c.admin.token) {
    add('/admin/token', `the admin listener (admin.listen.host ${JSON.stringify(c.admin.listen.host)}) is not on loopback: set a token`);
  }
  if (c.admin.enabled && c.admin.listen.port !== 0 && c.admin.listen.port === c.server.listen.port) {
    add('/admin/listen/port', 'the admin listener needs its own port', c.admin.listen.port);
  }

  const r = c.tracking.routes;
  const seen = new Map<string, string>();
  for (const [name, prefix] of Object.entries({ track: r.track, server: r.server, pixel: r.pixel, redirect: r.redirect })) {
    const other = seen.get(prefix);
    if (other) add(`/tracking/routes/${name}`, `path is already claimed by tracking.routes.${other}`, prefix);
    seen.set(prefix, name);
  }
  for (const path of [c.server.healthPath, c.server.readyPath]) {
    if (seen.has(path)) add('/server', `health path collides with tracking.routes.${seen.get(path)}`, path);
  }
  if (c.server.healthPath === c.server.readyPath) add('/server/readyPath', 'must differ from healthPath', c.server.readyPath);
  issues.push(...tlsCrossChecks(c.tls));
  const workers = c.server.workers;
  if (c.tls.acme.enabled && typeof workers === 'number' && workers > 1) {
    // Each worker would keep its own HTTP-01 challenges and place its own orders: the CA's validation request
    // reaches whichever worker the kernel picks. "auto" runs one process while ACME is on.
    add('/server/workers', 'tls.acme.enabled needs a single process: set server.workers to 1 or "auto" (one process with ACME)', workers);
  }

  issues.push(...rateLimitIssues(c.rateLimit));
  issues.push(...sourcesIssues(c));
  issues.push(...experimentsIssues(c.experiments, [c.tracking.cookies.visitorName, c.tracking.cookies.sessionName]));
  issues.push(...tracingIssues(c.tracing));
  if (c.static.enabled && proxyClaimsRoot(c.proxy)) {
    add('/proxy/routes', 'a proxy route on "/" for every host leaves no room for static files: set static.enabled to false or give the route a host');
  }
  if (c.tls.enabled) {
    for (const [path, port] of [['/server/listen/port', c.server.listen.port], ['/admin/listen/port', c.admin.listen.port]] as const) {
      if (port !== 0 && port === c.tls.listen.port) add('/tls/listen/port', `the HTTPS listener needs its own port (${path.slice(1).replace(/\//g, '.')} uses it)`, port);
    }
  }
  return issues;
}
