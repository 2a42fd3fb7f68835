import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../src/settings/load.js';
import { ConfigError } from '../src/config/errors.js';
import { SERVING_STARTUP_FLAGS } from '../src/server/v8-tuning.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const COMPOSE_FILE = join(ROOT, 'docker-compose.yml');
const SERVICES = ['gateway', 'consumer', 'cassandra-setup', 'nats-1', 'nats-2', 'nats-3', 'cassandra', 'backend'];

function which(bin: string, extraDirs: string[] = []): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), ...extraDirs]) {
    if (!dir) continue;
    try {
      accessSync(join(dir, bin), constants.X_OK);
      return join(dir, bin);
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** The Compose CLI on this machine: the `docker compose` plugin, else standalone `docker-compose`, else none. */
function composeCli(): string[] | undefined {
  const docker = which('docker');
  if (docker && spawnSync(docker, ['compose', 'version'], { stdio: 'ignore' }).status === 0) return [docker, 'compose'];
  const standalone = which('docker-compose');
  if (standalone && spawnSync(standalone, ['version'], { stdio: 'ignore' }).status === 0) return [standalone];
  return undefined;
}

function compose(cli: string[], ...args: string[]) {
  const [cmd, ...pre] = cli as [string, ...string[]];
  // No secrets in the environment: the file must stand on its own defaults.
  const env = { ...process.env };
  for (const name of ['NATS_PASS', 'GATEHOUSE_SALT', 'GATEHOUSE_ADMIN_TOKEN']) delete env[name];
  return spawnSync(cmd, [...pre, '-f', COMPOSE_FILE, ...args], { cwd: ROOT, encoding: 'utf8', env });
}

/** Top-level keys under `services:` (two-space indented), read as text: needs no YAML parser and no Docker. */
function servicesInText(text: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^services:\s*$/.test(l));
  expect(start, 'docker-compose.yml has a services: section').toBeGreaterThanOrEqual(0);
  const names: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^\S/.test(line)) break;
    const m = /^ {2}([A-Za-z0-9._-]+):\s*$/.exec(line);
    if (m) names.push(m[1]!);
  }
  return names;
}

/** Every `${NAME}` a Gatehouse config reads from the environment. */
function envRefs(file: string): string[] {
  return [...new Set([...readFileSync(file, 'utf8').matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]!))];
}

function envFor(file: string): NodeJS.ProcessEnv {
  return Object.fromEntries(envRefs(file).map((name) => [name, `test-${name.toLowerCase()}-0123456789abcdef`]));
}

describe('docker-compose.yml', () => {
  const text = readFileSync(COMPOSE_FILE, 'utf8');

  it('declares the gateway, consumer, schema job, 3 NATS nodes, Cassandra and the backend', () => {
    expect(servicesInText(text).sort()).toEqual([...SERVICES].sort());
  });

  it('is accepted by the Compose CLI when one is installed (else: its mounted files exist)', () => {
    const cli = composeCli();
    if (cli) {
      const check = compose(cli, 'config', '-q');
      expect(check.stderr).not.toMatch(/error/i);
      expect(check.status).toBe(0);
      const listed = compose(cli, 'config', '--services');
      expect(listed.status).toBe(0);
      expect(listed.stdout.trim().split('\n').sort()).toEqual([...SERVICES].sort());
    }
    // With or without Docker: every host path the file mounts is in the repository.
    const mounts = [...text.matchAll(/^\s+- \.\/([^:]+):/gm)].map((m) => m[1]!);
    expect(mounts).toEqual(expect.arrayContaining(['setup/compose/config.json', 'setup/nats', 'setup/example-backend']));
    for (const m of mounts) expect(existsSync(join(ROOT, m)), `${m} exists`).toBe(true);
    for (const i of [1, 2, 3]) expect(text).toContain(`/etc/nats/gatehouse/nats-${i}.conf`);
  });

  it('passes every secret setup/compose/config.json reads on to the Gatehouse services', () => {
    const refs = envRefs(join(ROOT, 'setup/compose/config.json'));
    expect(refs.length).toBeGreaterThan(0);
    const anchor = /^x-gatehouse:[\s\S]*?^\S/m.exec(text)?.[0] ?? '';
    for (const name of refs) expect(anchor).toMatch(new RegExp(`^ {4}${name}: \\$\\{${name}:-`, 'm'));
  });
});

describe('setup/compose/config.json', () => {
  const file = join(ROOT, 'setup/compose/config.json');

  it('is a valid Gatehouse config for the compose services', () => {
    const config = loadConfigFile(file, envFor(file));
    expect(config.bus.kind).toBe('nats');
    expect(config.bus.nats.servers).toEqual(['nats://nats-1:4222', 'nats://nats-2:4222', 'nats://nats-3:4222']);
    expect(config.bus.nats.replicas).toBe(3);
    expect(config.consumer.sinks).toEqual(['cassandra']);
    expect(config.sinks.cassandra.contactPoints).toEqual(['cassandra']);
    expect(config.spool.dir).toBe('/data/spool');
    expect(config.bus.nats.pass).toBe('test-nats_pass-0123456789abcdef');
  });

  it('keeps its secrets in the environment: without it, loading names each missing variable', () => {
    let error: unknown;
    try {
      loadConfigFile(file, {});
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    for (const name of envRefs(file)) expect(String(error)).toContain(`environment variable ${name} is not set`);
  });
});

describe('other deployment examples', () => {
  it.each(['setup/systemd/config.json', 'setup/k8s/config.json'])('%s is a valid Gatehouse config', (rel) => {
    const file = join(ROOT, rel);
    const config = loadConfigFile(file, envFor(file));
    expect(config.bus.kind).toBe('nats');
    expect(config.bus.nats.servers).toHaveLength(3);
    expect(config.bus.nats.replicas).toBe(3);
  });

  it.each([
    ['setup/systemd/config.json', 'setup/systemd/gatehouse.env.example', (n: string) => new RegExp(`^${n}=`, 'm')],
    ['setup/k8s/config.json', 'setup/k8s/secret.example.yaml', (n: string) => new RegExp(`^ {2}${n}: `, 'm')],
  ])('every secret %s reads is in %s', (config, secrets, line) => {
    const text = readFileSync(join(ROOT, secrets), 'utf8');
    for (const name of envRefs(join(ROOT, config))) expect(text).toMatch(line(name));
  });

  it('the kustomization names files that exist, and the units run the CLI with a config', () => {
    const kustomization = readFileSync(join(ROOT, 'setup/k8s/kustomization.yaml'), 'utf8');
    const listed = [...kustomization.matchAll(/^\s+- ([\w.-]+\.(?:yaml|json))$/gm)].map((m) => m[1]!);
    expect(listed.sort()).toEqual(['config.json', 'consumer.yaml', 'gateway.yaml']);
    for (const f of listed) expect(existsSync(join(ROOT, 'setup/k8s', f)), f).toBe(true);
    for (const [unit, command] of [
      ['gatehouse.service', 'serve'],
      ['gatehouse-consumer.service', 'consume'],
    ] as const) {
      const text = readFileSync(join(ROOT, 'setup/systemd', unit), 'utf8');
      // Node's own flags may come first (the gateway's start-up V8 flags, src/server/v8-tuning.ts).
      expect(text).toMatch(new RegExp(`^ExecStart=/usr/bin/node (--[\\w-]+=\\S+ )*/opt/gatehouse/dist/cli\\.js ${command} --config /etc/gatehouse/config\\.json$`, 'm'));
      expect(text).toMatch(/^ProtectSystem=strict$/m);
      expect(text).toMatch(/^NoNewPrivileges=yes$/m);
      expect(text).toMatch(/^StateDirectory=gatehouse$/m);
    }
  });

  it('start the gateway and the consumer with the V8 flags that only count at start (systemd, Kubernetes, the image, Compose, npm start)', () => {
    const read = (rel: string) => readFileSync(join(ROOT, rel), 'utf8');
    const serveLine = /^ExecStart=.* serve /m.exec(read('setup/systemd/gatehouse.service'))![0];
    const consumeLine = /^ExecStart=.* consume /m.exec(read('setup/systemd/gatehouse-consumer.service'))![0];
    const nodeOptions = /name: NODE_OPTIONS\n\s+value: (.*)$/m.exec(read('setup/k8s/gateway.yaml'))?.[1];
    const imageEntry = /^ENTRYPOINT (.*)$/m.exec(read('Dockerfile'))?.[1];
    // Compose runs the image's entrypoint unless its gateway service sets its own.
    const composeEntry = /^ {2}gateway:\n(?: {4}.*\n)*? {4}entrypoint: (.*)$/m.exec(read('docker-compose.yml'))?.[1] ?? imageEntry;
    const start = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts.start!;
    // The consumer's Compose and Kubernetes services run the image's entrypoint: they set only its arguments.
    expect(/^ {2}consumer:\n(?: {4}.*\n)*? {4}entrypoint:/m.test(read('docker-compose.yml'))).toBe(false);
    expect(read('setup/k8s/consumer.yaml')).not.toMatch(/^\s+command:/m);
    for (const flag of SERVING_STARTUP_FLAGS) {
      for (const line of [serveLine, consumeLine, nodeOptions, imageEntry, composeEntry, start]) expect(line).toContain(flag);
    }
  });

  it('the NATS node configs parse (nats-server -t)', () => {
    const natsServer = which('nats-server', ['/usr/sbin', '/usr/bin']);
    expect(natsServer, 'nats-server is installed (scripts/test-prereqs.mjs)').toBeDefined();
    for (const i of [1, 2, 3]) {
      const conf = join(ROOT, `setup/nats/nats-${i}.conf`);
      const ok = spawnSync(natsServer!, ['-t', '-c', conf], { encoding: 'utf8', env: { NATS_PASS: 'secret' } });
      expect(ok.status, ok.stderr).toBe(0);
      expect(readFileSync(conf, 'utf8')).toMatch(new RegExp(`^server_name: nats-${i}$`, 'm'));
    }
    // The password really comes from the environment: without NATS_PASS the config is refused.
    const noPass = spawnSync(natsServer!, ['-t', '-c', join(ROOT, 'setup/nats/nats-1.conf')], { encoding: 'utf8', env: {} });
    expect(noPass.status).not.toBe(0);
    expect(noPass.stderr).toContain('NATS_PASS');
  });
});
