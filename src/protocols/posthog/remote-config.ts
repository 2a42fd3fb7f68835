import type { FastifyInstance, FastifyRequest } from 'fastify';
import { notFound, unauthorized } from '../../server/errors.js';
import { parseQuery } from '../../track/inputs.js';
import type { ProtocolsConfig } from '../config.js';
import { decodeJsonBody } from '../body.js';
import { keyMatcher } from '../keys.js';
import { asRecord, text } from '../values.js';

/**
 * What posthog-js fetches besides capture, answered so that it never errors or stalls: the remote config
 * (`/array/<token>/config` as JSON, `/array/<token>/config.js` as the script that sets
 * `window._POSTHOG_REMOTE_CONFIG`) with every server-side feature off, and `/flags` (`/flags/?v=2`) and the
 * older `/decide`, GET or POST, with no feature flags. Gatehouse evaluates no flags; the SDK's own options
 * (autocapture, capture_pageview, ...) decide the rest, as they do against PostHog.
 */
export function postHogRemoteConfigRoutes(app: FastifyInstance, config: ProtocolsConfig): void {
  const { projectKeys } = config.posthog;
  const known = keyMatcher(projectKeys, (k) => k);
  const checkToken = (token: string | undefined, fail: () => Error) => {
    if (projectKeys.length > 0 && !known(token)) throw fail();
  };
  const route = { config: { routeClass: 'tracking' } };

  app.get<{ Params: { token: string } }>('/array/:token/config', route, async (request, reply) => {
    checkToken(request.params.token, () => notFound('unknown project API key'));
    reply.header('cache-control', 'public, max-age=300');
    return remoteConfig(request.params.token);
  });
  app.get<{ Params: { token: string } }>('/array/:token/config.js', route, async (request, reply) => {
    checkToken(request.params.token, () => notFound('unknown project API key'));
    const document = { config: remoteConfig(request.params.token), siteApps: [] };
    // JSON inside a script: "<" escaped so no "</script>" can end it early.
    const json = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');
    return reply
      .header('cache-control', 'public, max-age=300')
      .type('application/javascript; charset=utf-8')
      .send(`(function(){var w=window;w._POSTHOG_REMOTE_CONFIG=w._POSTHOG_REMOTE_CONFIG||{};w._POSTHOG_REMOTE_CONFIG[${json(request.params.token)}]=${json(document)};})();\n`);
  });

  const flags = async (request: FastifyRequest) => {
    checkToken(flagsToken(request, config), () => unauthorized('unknown project API key'));
    return noFlags();
  };
  for (const path of ['/flags', '/flags/', '/decide', '/decide/']) {
    app.get(path, route, flags);
    app.post(path, { ...route, bodyLimit: config.bodyLimit }, flags);
  }
}

/** The project key of a flags request: `token` / `api_key` in the body (JSON, gzip or base64) or the query. */
function flagsToken(request: FastifyRequest, config: ProtocolsConfig): string | undefined {
  const query = parseQuery(request.url);
  const fromQuery = query.ok ? (query.values.token ?? query.values.api_key) : undefined;
  if (request.method !== 'POST' || (Buffer.isBuffer(request.body) && request.body.length === 0)) return fromQuery;
  const body = asRecord(decodeJsonBody(request, config));
  return text(body?.token) ?? text(body?.api_key) ?? fromQuery;
}

/**
 * A project's remote config with every server-side feature off (types: @posthog/browser-common RemoteConfig).
 * `surveys`, `productTours` and `conversations` are left out rather than false: posthog-js still fetches the
 * surveys script from /static/ when told `surveys: false`, and does nothing when the key is absent.
 */
export function remoteConfig(token: string) {
  return {
    token,
    supportedCompression: ['gzip', 'gzip-js'],
    hasFeatureFlags: false,
    autocapture_opt_out: false,
    autocaptureExceptions: false,
    errorTracking: { autocaptureExceptions: false, suppressionRules: [] },
    capturePerformance: false,
    captureDeadClicks: false,
    elementsChainAsString: true,
    sessionRecording: false,
    heatmaps: false,
    defaultIdentifiedOnly: true,
    siteApps: [],
    toolbarParams: {},
    isAuthenticated: false,
  };
}

/** A flags answer (`/flags/?v=2`, and the fields `/decide` clients read) with no feature flags. */
export function noFlags() {
  return {
    flags: {},
    featureFlags: {},
    featureFlagPayloads: {},
    errorsWhileComputingFlags: false,
    quotaLimited: [],
    // The fields of the older /decide answer, for clients that still call it.
    config: { enable_collect_everything: true },
    supportedCompression: ['gzip', 'gzip-js'],
    sessionRecording: false,
    siteApps: [],
    toolbarParams: {},
    isAuthenticated: false,
  };
}
