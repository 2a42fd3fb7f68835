import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Integration tests start real servers (nats-server, pebble, chromium); give them room on a loaded 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // One temporary directory per run, removed at its end (test/global-setup.ts).
    globalSetup: ['./test/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', './scripts/summary-reporter.ts'],
    projects: [
      // Beside their code, start no service: `npm run test:unit` checks a change in seconds.
      { extends: true, test: { name: 'unit', include: ['src/**/*.test.ts'] } },
      // Start real services (NATS, DuckDB files, Chromium, pebble, redis, network namespaces).
      { extends: true, test: { name: 'integration', include: ['test/**/*.test.ts'] } },
    ],
  },
});
