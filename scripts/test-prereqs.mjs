#!/usr/bin/env node
// Checks that the system tools the test suite starts are installed (run by `npm test` as `pretest`).
// Missing tools are installed with apt-get when running as root on Debian; otherwise the script exits 1
// naming exactly what is missing and how to install it.
//
//   node scripts/test-prereqs.mjs           check, install what is missing when possible
//   node scripts/test-prereqs.mjs --check   check only: exit 0 when all are present, 1 when any is missing
//
// Tools are looked for on PATH and in /usr/sbin and /usr/bin (nats-server installs to /usr/sbin, which is often
// not on a non-root PATH). GATEHOUSE_PREREQ_DIRS (a PATH-style list) replaces those two directories.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Each binary the tests need and the Debian package that provides it. */
const TOOLS = [
  { bin: 'nats-server', pkg: 'nats-server', for: 'NATS JetStream tests' },
  { bin: 'pebble', pkg: 'pebble', for: 'ACME tests' },
  { bin: 'pebble-challtestsrv', pkg: 'pebble', for: 'ACME tests' },
  { bin: 'chromium', pkg: 'chromium', for: 'browser tests' },
  { bin: 'redis-server', pkg: 'redis-server', for: 'shared rate-limit tests' },
  { bin: 'openssl', pkg: 'openssl', for: 'TLS tests' },
  { bin: 'docker-compose', pkg: 'docker-compose', for: 'the docker-compose.yml check (docker compose config)' },
  { bin: 'prlimit', pkg: 'util-linux', for: 'the disk-full tests (a file-size limit set on a running process)' },
  { bin: 'ip', pkg: 'iproute2', for: 'the network fault tests (network namespaces, veth pairs, a bridge)' },
  { bin: 'nft', pkg: 'nftables', for: 'the network fault tests (partitions and packet loss)' },
];

const DEFAULT_DIRS = ['/usr/sbin', '/usr/bin'];

function searchDirs(env) {
  const fromPath = (env.PATH ?? '').split(delimiter);
  const extra = env.GATEHOUSE_PREREQ_DIRS !== undefined ? env.GATEHOUSE_PREREQ_DIRS.split(delimiter) : DEFAULT_DIRS;
  return [...new Set([...fromPath, ...extra].filter((d) => d !== ''))];
}

function isExecutable(file) {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function find(bin, dirs) {
  for (const dir of dirs) {
    const file = join(dir, bin);
    if (isExecutable(file)) return file;
  }
  return undefined;
}

function missingTools(dirs) {
  return TOOLS.filter((t) => find(t.bin, dirs) === undefined);
}

function packagesOf(tools) {
  return [...new Set(tools.map((t) => t.pkg))];
}

function describe(tools) {
  return tools.map((t) => `  ${t.bin} (Debian package ${t.pkg}; ${t.for})`).join('\n');
}

function installCommand(pkgs, asRoot) {
  const sudo = asRoot ? '' : 'sudo ';
  return `${sudo}apt-get update && ${sudo}DEBIAN_FRONTEND=noninteractive apt-get install -y ${pkgs.join(' ')}`;
}

function fail(tools, dirs, asRoot, why) {
  console.error(`test-prereqs: missing ${tools.length === 1 ? 'a tool' : 'tools'} the tests need:`);
  console.error(describe(tools));
  console.error(`  (looked on PATH and in ${dirs.join(delimiter)})`);
  if (why) console.error(`test-prereqs: ${why}`);
  console.error(`test-prereqs: install with: ${installCommand(packagesOf(tools), asRoot)}`);
  process.exit(1);
}

function run(cmd, args, env) {
  console.log(`test-prereqs: ${cmd} ${args.join(' ')}`);
  // No stdin (CI has none); apt's output goes to the console so a failure explains itself.
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], env });
  if (r.error) return `${cmd} could not start: ${r.error.message}`;
  if (r.status !== 0) return `${cmd} ${args[0]} failed (${r.signal ?? `exit ${r.status}`})`;
  return undefined;
}

function main() {
  const checkOnly = process.argv.includes('--check');
  const dirs = searchDirs(process.env);
  const missing = missingTools(dirs);
  if (missing.length === 0) {
    console.log(`test-prereqs: ok (${TOOLS.map((t) => t.bin).join(', ')})`);
    return;
  }

  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (checkOnly) fail(missing, dirs, asRoot);
  const aptGet = find('apt-get', dirs);
  if (!asRoot) fail(missing, dirs, asRoot, 'not running as root, so not installing them');
  if (!aptGet) fail(missing, dirs, asRoot, 'apt-get was not found, so not installing them');

  const pkgs = packagesOf(missing);
  console.log(`test-prereqs: missing ${missing.map((t) => t.bin).join(', ')}; installing Debian packages: ${pkgs.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const error = run(aptGet, ['update'], env) ?? run(aptGet, ['install', '-y', ...pkgs], env);
  if (error) fail(missing, dirs, asRoot, error);

  const still = missingTools(dirs);
  if (still.length > 0) fail(still, dirs, asRoot, 'still missing after apt-get install');
  console.log(`test-prereqs: installed ${pkgs.join(' ')}; ok (${TOOLS.map((t) => t.bin).join(', ')})`);
}

main();
