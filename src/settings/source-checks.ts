import type { Config } from './schema.js';
import type { ConfigIssue } from '../config/errors.js';
import { escapePointer } from '../config/env.js';
import { SEGMENT_TYPES } from '../protocols/segment/map.js';
import { allSources } from '../protocols/sources/all.js';
import { isMappableField } from '../protocols/sources/map-item.js';

interface Claim {
  readonly path: string;
  readonly owner: string;
}

/**
 * Rules over the sources that the schema cannot state: mapped fields exist, header auth names its header,
 * "$path.x" names a parameter of the path, names are unique, and no source path is already served by a
 * tracking route, a health endpoint, another protocol or another source (Fastify would refuse the route at
 * start; here the error names the JSON path to change).
 */
export function sourcesIssues(c: Config): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add = (path: string, message: string, value?: unknown) => issues.push({ path, message, value });

  c.protocols.sources.forEach((source, i) => {
    const at = `/protocols/sources/${i}`;
    for (const [field, rule] of Object.entries(source.map)) {
      const ruleAt = `${at}/map/${escapePointer(field)}`;
      if (!isMappableField(field)) add(ruleAt, 'not an event field: use eid, vid, sid, uid, ename, etyp, url, created, ..., "params" or "params.<key>"', field);
      const from = typeof rule === 'string' ? [rule] : typeof rule.from === 'string' ? [rule.from] : (rule.from ?? []);
      if (typeof rule !== 'string' && from.length === 0 && rule.value === undefined && rule.default === undefined) {
        add(ruleAt, 'a rule needs "from", "value" or "default"');
      }
      for (const path of from) {
        const param = path.startsWith('$path.') ? path.slice(6) : undefined;
        if (param !== undefined && !source.path.split('/').includes(`:${param}`)) add(ruleAt, `the path ${source.path} has no parameter ":${param}"`, path);
      }
    }
    if (source.auth.type === 'header' && !source.auth.header) add(`${at}/auth/header`, 'auth type "header" needs the header name');
  });
  for (const [name, preset] of [['vector', c.protocols.vector], ['eventkit', c.protocols.eventkit], ['productgraph', c.protocols.productgraph]] as const) {
    if (preset.enabled && preset.auth.type === 'header' && !preset.auth.header) add(`/protocols/${name}/auth/header`, 'auth type "header" needs the header name');
  }

  const claims = builtInClaims(c);
  const names = new Map<string, string>();
  for (const source of c.tracking.enabled ? allSources(c.protocols) : []) {
    const other = names.get(source.name);
    if (other) add(`${source.configPath}/name`, `name ${JSON.stringify(source.name)} is already used by ${other}`);
    names.set(source.name, source.configPath);
    const taken = claims.find((claim) => collides(claim.path, source.path));
    if (taken) add(`${source.configPath}`, `path ${source.path} is already served by ${taken.owner} (${taken.path}): move one of them`);
    claims.push({ path: source.path, owner: pointerName(source.configPath) });
  }
  return issues;
}

function builtInClaims(c: Config): Claim[] {
  const claims: Claim[] = [];
  const claim = (owner: string, paths: readonly string[]) => paths.forEach((path) => claims.push({ path, owner }));
  const r = c.tracking.routes;
  for (const [name, prefix] of Object.entries({ track: r.track, server: r.server, pixel: r.pixel, redirect: r.redirect, ltv: r.ltv, current: r.current })) {
    if (prefix !== '') claim(`tracking.routes.${name}`, [`${prefix.replace(/\/$/, '')}/*`]);
  }
  claim('server.healthPath', [c.server.healthPath]);
  claim('server.readyPath', [c.server.readyPath]);
  const p = c.protocols;
  if (p.segment.enabled) {
    const base = p.segment.prefix.replace(/\/$/, '');
    claim('protocols.segment', [...SEGMENT_TYPES, 'batch', 't', 'i', 'p', 's', 'g', 'a', 'b', 'projects/:writeKey/settings'].map((t) => `${base}/${t}`));
  }
  if (p.snowplow.enabled) claim('protocols.snowplow', [...p.snowplow.pixelPaths, ...p.snowplow.postPaths]);
  // PostHog's flags and remote-config endpoints (posthog/remote-config.ts) sit beside its capture paths.
  if (p.posthog.enabled) claim('protocols.posthog', [...p.posthog.paths, '/flags', '/decide', '/array/:token/config', '/array/:token/config.js']);
  if (p.ga4.enabled) claim('protocols.ga4', [...p.ga4.paths, ...p.ga4.paths.map((path) => `/debug${path}`)]);
  return claims;
}

/** Same route once a trailing slash and parameter names are set aside; "/x/*" claims everything under /x/. */
function collides(claimed: string, path: string): boolean {
  const norm = (p: string) => p.replace(/\/+$/, '').replace(/\/:[^/]+/g, '/:') || '/';
  if (claimed.endsWith('/*')) {
    const prefix = claimed.slice(0, -2);
    return path === prefix || path.startsWith(`${prefix}/`);
  }
  return norm(claimed) === norm(path);
}

function pointerName(pointer: string): string {
  return pointer.slice(1).replace(/\//g, '.');
}
