/**
 * Child process for test/spool-crash.test.ts: appends under load to a spool until killed.
 * argv: <spool dir> <published log> <fsync> <id prefix>
 * stdout: "ready", then one "ok <id> <id>..." line per resolved append (the ids the gateway would have answered 2xx).
 * The bus appends published ids to the log synchronously before resolving, and fails one publish in five.
 */
import { appendFileSync } from 'node:fs';
import type { BusMessage } from '../src/bus/bus.js';
import { BusUnavailableError } from '../src/bus/bus.js';
import { SpoolFullError } from '../src/spool/spool.js';
import { RecordingBus, spoolConfig, startSpool } from './spool-harness.js';

const [dir, log, fsync, prefix] = process.argv.slice(2);
if (!dir || !log || !prefix || (fsync !== 'always' && fsync !== 'interval' && fsync !== 'never')) {
  throw new Error('usage: spool-crash.child.ts <dir> <log> <always|interval|never> <prefix>');
}

class LoggingBus extends RecordingBus {
  override async publish(messages: readonly BusMessage[]): Promise<void> {
    if (Math.random() < 0.2) throw new BusUnavailableError('injected outage');
    appendFileSync(log as string, messages.map((m) => `${m.id}\n`).join(''));
  }
}

const { spool } = await startSpool(spoolConfig(dir, { fsync, fsyncInterval: 20, segmentBytes: 32 * 1024 }), new LoggingBus());
process.stdout.write('ready\n');

let next = 0;
async function appender(): Promise<void> {
  for (;;) {
    const n = 1 + (next % 3);
    const batch = Array.from({ length: n }, () => `${prefix}-${next++}`);
    try {
      await spool.append(batch.map((id) => ({ id, data: Buffer.from(`payload:${id}`) })));
      process.stdout.write(`ok ${batch.join(' ')}\n`);
    } catch (err) {
      if (!(err instanceof SpoolFullError)) throw err;
    }
  }
}
await Promise.all(Array.from({ length: 32 }, appender));
