import { afterEach, beforeEach } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import type { Bus, BusMessage, PublishOptions, Subscription } from '../src/bus/bus.js';
import { BusUnavailableError, IN_PROCESS } from '../src/bus/bus.js';
import type { Health } from '../src/lifecycle/health.js';
import { SpoolConfig } from '../src/spool/config.js';
import { createSpool } from '../src/spool/create-spool.js';
import { FLAG_END, FLAG_GROUP_END, encodeRecord, recordSize } from '../src/spool/record.js';
import type { Spool } from '../src/spool/spool.js';
import { createLogger } from '../src/telemetry/logger.js';
import { Telemetry } from '../src/telemetry/telemetry.js';

/**
 * A bus for spool tests: records what was published, can be switched to fail (injected at the Bus boundary,
 * as a NATS outage would look) and can hold publishes open to observe the spool mid-publish.
 */
export class RecordingBus implements Bus {
  readonly kind = 'memory' as const;
  readonly capabilities = IN_PROCESS;
  /** Ids in publish order, repeats included. */
  readonly published: string[] = [];
  readonly payloads = new Map<string, string>();
  /** Ids of the messages that ended a pack (`packEnd`), in publish order. */
  readonly packEnds: string[] = [];
  calls = 0;
  failures = 0;
  failing = false;
  /** A bus that numbers its messages (as a stream does): the last sequence, one per message published. */
  seq: number | undefined;
  /** `storedAfter` of the publish call that carried each id, by id (the last call's). */
  readonly storedAfter = new Map<string, number | undefined>();
  private gate: Promise<void> | undefined;

  async start(): Promise<void> {}

  sequence(): number | undefined {
    return this.seq;
  }

  async publish(messages: readonly BusMessage[], options?: PublishOptions): Promise<void> {
    this.calls++;
    for (const m of messages) this.storedAfter.set(m.id, options?.storedAfter);
    await this.gate;
    if (this.failing) {
      this.failures++;
      throw new BusUnavailableError('injected outage');
    }
    for (const m of messages) {
      if (this.seq !== undefined) this.seq++;
      this.published.push(m.id);
      if (m.packEnd) this.packEnds.push(m.id);
      this.payloads.set(m.id, Buffer.from(m.data).toString('utf8'));
    }
  }

  /** Publishes wait until the returned function is called. */
  hold(): () => void {
    let release = (): void => undefined;
    this.gate = new Promise<void>((resolve) => {
      release = () => {
        this.gate = undefined;
        resolve();
      };
    });
    return release;
  }

  unique(): Set<string> {
    return new Set(this.published);
  }

  subscribe(): Subscription {
    return { close: async () => undefined };
  }

  async healthcheck(): Promise<Health> {
    return { status: 'up' };
  }

  async close(): Promise<void> {}
}

export async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-spool-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** The schema defaults for `dir`, with decoded overrides (bytes, ms). */
export function spoolConfig(dir: string, overrides: Partial<SpoolConfig> = {}): SpoolConfig {
  const decoded = Value.Decode(SpoolConfig, Value.Default(SpoolConfig, { dir }));
  return { ...decoded, retryMin: 10, retryMax: 50, ...overrides };
}

export function quietTelemetry(): Telemetry {
  return new Telemetry(createLogger('silent'), { defaultMetrics: false });
}

export interface SpoolUnderTest {
  readonly spool: Spool;
  readonly telemetry: Telemetry;
}

/** A started spool with its own telemetry (metrics register per process, so each instance gets a registry). */
export async function startSpool(config: SpoolConfig, bus: Bus): Promise<SpoolUnderTest> {
  const telemetry = quietTelemetry();
  const spool = createSpool({ config, bus, telemetry });
  await spool.start();
  return { spool, telemetry };
}

/** A message whose payload names its id, so tests can check payloads survive intact. */
export function message(id: string): BusMessage {
  return { id, data: Buffer.from(`payload:${id}`) };
}

/** One committed group (one call's records), encoded as the writer writes it. */
export function encodedGroup(messages: readonly BusMessage[], appendedAt = Date.now()): Buffer {
  const buf = Buffer.alloc(messages.reduce((n, m) => n + recordSize(m), 0));
  let at = 0;
  messages.forEach((m, i) => {
    at = encodeRecord(buf, at, m, i === messages.length - 1 ? FLAG_END | FLAG_GROUP_END : 0, appendedAt);
  });
  return buf;
}

export function ids(prefix: string, n: number, from = 0): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}-${from + i}`);
}

/** The value of a counter, or a histogram's observation count. */
export async function metricCount(telemetry: Telemetry, name: string): Promise<number> {
  const metric = telemetry.registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  const count = values.find((v) => (v as { metricName?: string }).metricName === `${name}_count`) ?? values[0];
  return count?.value ?? 0;
}

export interface SpoolSuite {
  /** This test's directory (a new one for each test). */
  readonly dir: string;
  /** Starts a spool in this test's directory; it is closed after the test. */
  open(bus: RecordingBus, overrides?: Partial<SpoolConfig>): ReturnType<typeof startSpool>;
}

/** The lifecycle the spool tests share: a temp directory per test, every spool closed and the directory removed after. */
export function useSpools(): SpoolSuite {
  let dir = '';
  let remove = async (): Promise<void> => undefined;
  const closers: Array<() => Promise<void>> = [];
  beforeEach(async () => ({ dir, remove } = await tempDir()));
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    await remove();
  });
  return {
    get dir() {
      return dir;
    },
    async open(bus, overrides = {}) {
      const s = await startSpool(spoolConfig(dir, overrides), bus);
      closers.push(() => s.spool.close(0));
      return s;
    },
  };
}
