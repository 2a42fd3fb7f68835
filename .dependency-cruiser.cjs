// The layers of src/, checked by `npm run lint` (dependency-cruiser). From the bottom up:
//   config/      the kit every component's config is written with: types, units, env, errors, json. Imports no component.
//   telemetry/   logger and metrics.
//   components   bus, spool, track, protocols, sinks, consumer, destinations, proxy, static, tls, ratelimit, admin,
//                server (shared HTTP leaf: errors, readiness, request logging), lifecycle.
//   settings/    the whole config, assembled from every component's schema.
//   gateway/     where the gateway is composed (apps, stores, services).
//   workers/     the multi-process supervisor and its workers.
//   cli/, cli.ts the commands.
// An arrow may only point down. A higher layer reaches a lower one's implementation only through an interface.
const COMPONENTS = '^src/(bus|spool|track|protocols|sinks|consumer|destinations|proxy|static|tls|ratelimit|admin|server|lifecycle|experiments)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'An import circle: two modules that cannot be understood apart.', from: {}, to: { circular: true } },
    {
      name: 'config-kit-is-a-leaf',
      severity: 'error',
      comment: 'config/ is the kit every component imports; it imports none of them.',
      from: { path: '^src/config/' },
      to: { path: '^src/', pathNot: '^src/config/' },
    },
    {
      name: 'telemetry-below-components',
      severity: 'error',
      from: { path: '^src/telemetry/' },
      to: { path: '^src/', pathNot: '^src/(config|telemetry)/' },
    },
    {
      name: 'components-below-assembly',
      severity: 'error',
      comment: 'A component does not import the assembled config, the gateway, the workers or the CLI.',
      from: { path: COMPONENTS },
      to: { path: '^src/(settings|gateway|workers|cli)/|^src/cli\\.ts$' },
    },
    {
      name: 'settings-below-gateway',
      severity: 'error',
      from: { path: '^src/settings/' },
      to: { path: '^src/(gateway|workers|cli)/|^src/cli\\.ts$' },
    },
    {
      name: 'gateway-below-workers-and-cli',
      severity: 'error',
      from: { path: '^src/gateway/' },
      to: { path: '^src/(workers|cli)/|^src/cli\\.ts$' },
    },
    {
      name: 'workers-below-cli',
      severity: 'error',
      from: { path: '^src/workers/' },
      to: { path: '^src/cli/|^src/cli\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.test\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
