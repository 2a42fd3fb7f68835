import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deletedOpenFiles } from '../helpers/open-files.js';
import { startSmallDisk, type SmallDisk } from '../helpers/small-disk.js';
import { waitFor } from '../helpers/wait.js';
import { Load } from './load.js';
import { faultSuite, metricValue, servePorts, startLocalConsumer, startServeChild, type ServeChild, type ServePorts, type Setup } from './harness.js';
import { expectExactlyOnce, holdings, ledger, settle } from './ledger.js';

/** The spool's disk: room for a few hundred events, so an outage of a few seconds fills it. */
const DISK_BYTES = 256 * 1024;

const patience = { timeoutMs: 90_000 };

/** The `spoolWrite*` and error-level log lines of a gateway child, as they come (its access log is left out). */
function spoolLog(gw: ServeChild): string[] {
  const lines: string[] = [];
  let partial = '';
  gw.proc.stdout?.on('data', (d: Buffer) => {
    const parts = (partial + d.toString()).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) if (line.includes('"event":"spoolWrite') || line.includes('"level":50')) lines.push(line);
  });
  return lines;
}

const events = (lines: readonly string[]) => lines.map((l) => (JSON.parse(l) as { event: string }).event);

async function metric(ports: ServePorts, name: string): Promise<number> {
  return metricValue(await (await fetch(`http://127.0.0.1:${ports.adminPort}/metrics`)).text(), name);
}

/**
 * The spool on a small tmpfs of its own (see startSmallDisk), for real: writes fail with ENOSPC once it is full.
 * NATS goes down under load until the spool fills the disk (503s), then comes back. Before issue 24 the gateway then
 * answered 503 for good: a forwarded segment stayed open in the reader (its space not freed), the disk filled inside
 * the active segment (which was never deleted), and after a restart the first checkpoint save needed a new block.
 */
describe('delivery: the spool disk fills while NATS is down', () => {
  const suite = faultSuite(1);
  const { rig } = suite;

  const overrides = (s: Setup) => ({ spool: { ...s.raw().spool, retryAfter: '1s' }, log: { level: 'info' } });

  /** A gateway whose spool is on a small disk, the consumer, and a load running. */
  async function start(name: string) {
    const s = suite.scenario(name);
    const disk: SmallDisk = await startSmallDisk(s.spoolDir, DISK_BYTES);
    rig.defer(() => disk.stop());
    const consumer = await startLocalConsumer(rig, s);
    const ports = await servePorts();
    const gw = await startServeChild(rig, s, ports, overrides(s), { prefix: disk.launcher });
    const load = new Load({ url: () => gw.url, prefix: name, rate: 150, max: 100_000 }).start();
    await waitFor('events stored before the outage', async () => (await consumer.store.countEvents({ ename: name })) >= 50, patience);
    return { s, disk, ports, gw, load, log: spoolLog(gw) };
  }

  /**
   * Every forwarded segment is deleted and none is held open by the gateway: what the disk still holds is the
   * segment being written (events taken since the recovery), the checkpoint, and a page or two of slack.
   */
  async function freed(disk: SmallDisk, gw: ServeChild, s: Setup): Promise<void> {
    expect(await deletedOpenFiles(gw.proc.pid as number, s.spoolDir)).toEqual([]);
    await waitFor('only the segment being written left', () => disk.files().filter((f) => f.name.endsWith('.seg')).length === 1, patience);
    const active = disk.files().find((f) => f.name.endsWith('.seg'))?.size ?? 0;
    expect(disk.usage().used - active).toBeLessThan(16 * 1024);
  }

  /** Kills NATS and waits until the spool's writes fail for lack of space and clients get 503s. */
  async function fillTheDisk(ports: ServePorts, load: Load, disk: SmallDisk): Promise<void> {
    await suite.cluster.nats.kill(0, 'SIGKILL');
    await waitFor('the spool disk full (writes failing)', async () => (await metric(ports, 'gatehouse_spool_write_failing')) === 1, patience);
    const at = load.tally().retryAfter;
    await waitFor('503s with Retry-After on the full disk', () => load.tally().retryAfter >= at + 20, patience);
    const { used, size } = disk.usage();
    expect(size - used).toBeLessThan(16 * 1024);
  }

  it('answers 2xx again within seconds of NATS coming back, and frees every forwarded segment', async () => {
    const { s, disk, ports, gw, load, log } = await start('diskout');
    await fillTheDisk(ports, load, disk);

    await suite.cluster.nats.restart(0);
    const back = performance.now();
    const okAtBack = load.okCount;
    await waitFor('2xx again after NATS came back', () => load.okCount >= okAtBack + 50, patience);
    const seconds = (performance.now() - back) / 1000;
    console.log(`[delivery] full spool disk, NATS back: 2xx again after ${seconds.toFixed(1)} s`);
    expect(seconds).toBeLessThan(30);

    const tally = await load.stop();
    await settle('full spool disk', gw.pendingRecords, () => suite.cluster.lag(s.stream));
    await freed(disk, gw, s);

    // The full disk is logged as a run: its start, summaries (none within a minute), its end; each failure counts.
    // The only error line of the whole outage is the first failure.
    expect(events(log)).toEqual(['spoolWriteFailureStarted', 'spoolWriteRecovered']);
    expect(log[0]).toMatch(/ENOSPC/);
    const failedWrites = await metric(ports, 'gatehouse_spool_write_failed_total{op="write"}');
    expect(failedWrites).toBeGreaterThan(1);

    const result = ledger('spool disk full (256 KiB tmpfs) while NATS is down, NATS back', tally, await holdings(suite.cluster, s, 'diskout'));
    expect(tally.failed.get('503')).toBeGreaterThanOrEqual(20);
    expectExactlyOnce(result);
  }, 240_000);

  it('answers 2xx again within seconds when the gateway restarts on the full disk, even if its checkpoint cannot be written', async () => {
    const { s, disk, ports, gw, load } = await start('diskrestart');
    await fillTheDisk(ports, load, disk);

    gw.signal('SIGKILL');
    await gw.exited();
    // The checkpoint as an older version wrote it (unpadded JSON, another size): the first save must replace the
    // file, which needs a block; and not one byte is left. Only deleting forwarded segments first can free space.
    const checkpoint = disk.hostPath('checkpoint.json');
    writeFileSync(checkpoint, JSON.stringify(JSON.parse(readFileSync(checkpoint, 'utf8')) as unknown));
    disk.fill('filler');
    await suite.cluster.nats.restart(0);
    const restarted = performance.now();
    const gw2 = await startServeChild(rig, s, ports, overrides(s), { prefix: disk.launcher });
    // Ready (listening, NATS up) on a disk that takes no write yet: the spool's recovery needed no space.
    const ready = performance.now();
    const okAtReady = load.okCount;
    await waitFor('2xx again after the restart', () => load.okCount >= okAtReady + 50, patience);
    const seconds = (performance.now() - ready) / 1000;
    console.log(
      `[delivery] gateway restarted on a full spool disk: ready after ${((ready - restarted) / 1000).toFixed(1)} s, 2xx again ${seconds.toFixed(1)} s later`,
    );
    expect(seconds).toBeLessThan(30);

    const tally = await load.stop();
    await settle('restart on a full spool disk', gw2.pendingRecords, () => suite.cluster.lag(s.stream));
    // The save failed (spoolCheckpointFailed, before the gateway was ready), and the segments went all the same.
    expect(await metric(ports, 'gatehouse_spool_checkpoint_failed_total{op="checkpoint"}')).toBeGreaterThanOrEqual(1);
    rmSync(disk.hostPath('filler'));
    await freed(disk, gw2, s);

    const result = ledger('gateway restarted on a full spool disk (256 KiB tmpfs)', tally, await holdings(suite.cluster, s, 'diskrestart'));
    expectExactlyOnce(result);
  }, 240_000);
});
