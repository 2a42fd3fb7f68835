import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../scripts/test-prereqs.mjs', import.meta.url));
const TOOLS = ['nats-server', 'pebble', 'pebble-challtestsrv', 'chromium', 'redis-server', 'openssl', 'docker-compose', 'prlimit', 'ip', 'nft'];
const PACKAGES = ['nats-server', 'pebble', 'chromium', 'redis-server', 'openssl', 'docker-compose', 'util-linux', 'iproute2', 'nftables'];
const isRoot = process.getuid?.() === 0;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-prereqs-'));
  dirs.push(dir);
  return dir;
}

function executable(file: string, text: string): void {
  writeFileSync(file, text);
  chmodSync(file, 0o755);
}

/** Runs the script seeing only `dir`: PATH and the /usr/sbin,/usr/bin override both point there. */
function runIn(dir: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [SCRIPT, ...args], {
    env: { PATH: dir, GATEHOUSE_PREREQ_DIRS: dir },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * A stand-in apt-get (a Node script, as PATH holds nothing else): records its arguments and DEBIAN_FRONTEND,
 * and on `install` puts every tool in its own directory, or fails when `failInstall`.
 */
function fakeAptGet(dir: string, { failInstall = false } = {}): string {
  const log = join(dir, 'apt.log');
  executable(
    join(dir, 'apt-get'),
    `#!${process.execPath}
const fs = require('node:fs');
const path = require('node:path');
const args = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(log)}, args.join(' ') + ' | ' + process.env.DEBIAN_FRONTEND + '\\n');
if (args[0] === 'install') {
  if (${failInstall}) process.exit(100);
  for (const t of ${JSON.stringify(TOOLS)}) {
    fs.writeFileSync(path.join(__dirname, t), '#!/bin/sh\\n', { mode: 0o755 });
  }
}
`,
  );
  return log;
}

describe('scripts/test-prereqs.mjs', () => {
  it('--check with nothing installed: exits 1 naming every missing tool and the install command', () => {
    const r = runIn(tempDir(), '--check');
    expect(r.status).toBe(1);
    for (const tool of TOOLS) expect(r.stderr).toMatch(new RegExp(`^  ${tool} \\(Debian package `, 'm'));
    expect(r.stderr).toContain(`apt-get install -y ${PACKAGES.join(' ')}`);
  });

  it('--check names only what is missing, and ignores files that are not executable', () => {
    const dir = tempDir();
    for (const tool of TOOLS.filter((t) => t !== 'pebble-challtestsrv' && t !== 'redis-server')) {
      executable(join(dir, tool), '#!/bin/sh\n');
    }
    writeFileSync(join(dir, 'redis-server'), '#!/bin/sh\n'); // present but not executable
    const r = runIn(dir, '--check');
    expect(r.status).toBe(1);
    const named = [...r.stderr.matchAll(/^ {2}(\S+) \(Debian package/gm)].map((m) => m[1]);
    expect(named).toEqual(['pebble-challtestsrv', 'redis-server']);
    expect(r.stderr).toMatch(/apt-get install -y pebble redis-server$/m);
  });

  it('--check never installs, even as root with apt-get at hand', () => {
    const dir = tempDir();
    const log = fakeAptGet(dir);
    const r = runIn(dir, '--check');
    expect(r.status).toBe(1);
    expect(existsSync(log)).toBe(false);
  });

  it('--check on this machine: every tool is present (on PATH, in /usr/sbin or /usr/bin)', () => {
    const r = spawnSync(process.execPath, [SCRIPT, '--check'], { encoding: 'utf8', env: process.env });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toMatch(/^test-prereqs: ok/);
  });

  it('without --check: as root, installs the missing packages (apt-get update, then install -y); else refuses', () => {
    const dir = tempDir();
    const log = fakeAptGet(dir);
    const r = runIn(dir);
    if (!isRoot) {
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('not running as root');
      expect(r.stderr).toContain(`sudo DEBIAN_FRONTEND=noninteractive apt-get install -y ${PACKAGES.join(' ')}`);
      expect(existsSync(log)).toBe(false);
      return;
    }
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`installing Debian packages: ${PACKAGES.join(' ')}`);
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual([
      'update | noninteractive',
      `install -y ${PACKAGES.join(' ')} | noninteractive`,
    ]);
    expect(runIn(dir, '--check').status).toBe(0);
  });

  it('without --check: a failed apt-get install exits 1 naming what is still missing', () => {
    const dir = tempDir();
    fakeAptGet(dir, { failInstall: true });
    const r = runIn(dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(isRoot ? 'apt-get install failed (exit 100)' : 'not running as root');
    for (const tool of TOOLS) expect(r.stderr).toContain(`  ${tool} (Debian package`);
  });
});
