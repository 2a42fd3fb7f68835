import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, headers } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { createNatsBus } from '../src/bus/nats/index.js';
import { decodeEvent, encodeEvent } from '../src/track/codec.js';
import type { TrackEvent } from '../src/track/event.js';
import { createLogger } from '../src/telemetry/logger.js';
import { Telemetry } from '../src/telemetry/telemetry.js';
import { runCli } from './helpers/cli.js';
import { eventCopies, natsTestConfig, startNatsServer, type NatsHandle } from './helpers/nats.js';
import { storedByEid } from './faults/ledger.js';

const event = (eid: string): TrackEvent => ({ eid, received: '2026-11-25T10:00:00.000Z', origin: 'track', ename: 'redriven' }) as TrackEvent;
const text = (e: TrackEvent) => Buffer.from(encodeEvent(e)).toString('utf8');

describe('gatehouse redrive', () => {
  const dirs: string[] = [];
  let nats: NatsHandle | undefined;
  afterEach(async () => {
    await nats?.stop();
    nats = undefined;
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-redrive-'));
    dirs.push(dir);
    return dir;
  };

  it('embedded: stores the events of the dead-letter file, keeps what is not an event, and sets the file aside', async () => {
    const dir = tempDir();
    const spool = join(dir, 'spool');
    mkdirSync(spool);
    const line = (subject: string, data: string) =>
      JSON.stringify({ at: '2026-11-25T10:00:01.000Z', id: 'x', subject, reason: 'sink write failed after 10 deliveries', deliveries: 10, data });
    const poison = line('gatehouse.events', '{"eid": "broken", not json');
    const service = line('tic.log.app', '{"msg":"a log record"}');
    writeFileSync(join(spool, 'dead-letter.jsonl'), [line('gatehouse.events', text(event('redrive-a'))), poison, line('gatehouse.events', text(event('redrive-b'))), service].join('\n') + '\n');
    const dbPath = join(dir, 'events.duckdb');
    const configPath = join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify({ log: { level: 'warn' }, spool: { dir: spool }, sinks: { duckdb: { path: dbPath } } }));

    const run = await runCli(['redrive', '--config', configPath]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/redrive: 2 dead letters stored; 2 that are not events kept in .*dead-letter\.jsonl/);
    const stored = await storedByEid(dbPath, 'redrive-');
    expect([...stored.entries()].sort()).toEqual([['redrive-a', 1], ['redrive-b', 1]]);
    expect(readFileSync(join(spool, 'dead-letter.jsonl'), 'utf8')).toBe(`${poison}\n${service}\n`);
    expect(readdirSync(spool).filter((n) => n.endsWith('.redriven.jsonl'))).toHaveLength(1);

    // A second run sends back only what is left: the two lines that are not events.
    const again = await runCli(['redrive', '--config', configPath]);
    expect(again.stdout).toMatch(/redrive: 0 dead letters stored; 2 that are not events kept/);
    expect(existsSync(join(spool, 'dead-letter.jsonl'))).toBe(true);
  });

  it('with NATS: publishes each dead letter back to the subject it came from, then empties the dead-letter subject', async () => {
    nats = await startNatsServer();
    const dir = tempDir();
    const fields = { servers: [...nats.urls], stream: 'REDRIVE', subject: 'redrive.events', deadLetterSubject: 'redrive.dead' };
    const bus = createNatsBus({ config: natsTestConfig(fields), telemetry: new Telemetry(createLogger('silent'), { defaultMetrics: false }) });
    await bus.start(); // creates the stream
    await bus.close();
    const nc = await connect(nats.clientOptions());
    try {
      const js = jetstream(nc);
      for (const eid of ['dl-1', 'dl-2']) {
        const h = headers();
        h.set('Gatehouse-Subject', 'redrive.events');
        h.set('Gatehouse-Reason', 'sink write failed after 10 deliveries');
        await js.publish('redrive.dead', encodeEvent(event(eid)), { headers: h, msgID: `dl-${eid}` });
      }
      const configPath = join(dir, 'config.json');
      writeFileSync(configPath, JSON.stringify({ log: { level: 'warn' }, bus: { kind: 'nats', nats: fields } }));

      const run = await runCli(['redrive', '--config', configPath]);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('redrive: 2 dead letters sent back to their subjects and removed from redrive.dead');
      const jsm = await jetstreamManager(nc);
      const copies = await eventCopies(jsm, 'REDRIVE', 'redrive.events');
      expect([...copies.values()]).toEqual([1, 1]);
      const eids = [];
      for (let seq = 1; seq <= (await jsm.streams.info('REDRIVE')).state.last_seq; seq++) {
        const m = await jsm.streams.getMessage('REDRIVE', { seq });
        if (m?.subject === 'redrive.events') eids.push(decodeEvent(m.data).eid);
      }
      expect(eids.sort()).toEqual(['dl-1', 'dl-2']);
      const { state } = await jsm.streams.info('REDRIVE', { subjects_filter: 'redrive.dead' });
      expect(state.subjects?.['redrive.dead'] ?? 0).toBe(0);
    } finally {
      await nc.close();
    }
  });
});
