import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../telemetry/logger.js';
import { Telemetry } from '../telemetry/telemetry.js';
import { NatsConfig } from './config.js';
import { createMemoryBus } from './memory.js';
import { createNatsBus } from './nats/nats-bus.js';

const telemetry = () => new Telemetry(createLogger('silent'), { defaultMetrics: false });

describe('bus metrics', () => {
  it('an in-process bus exposes the bus series and no NATS series', async () => {
    const t = telemetry();
    createMemoryBus({ telemetry: t });
    const text = await t.metrics();
    expect(text).toContain('gatehouse_bus_publish_duration_seconds');
    expect(text).not.toMatch(/gatehouse_nats_/);
  });

  it('a NATS bus adds its connection series (built, not connected)', async () => {
    const t = telemetry();
    createNatsBus({ config: Value.Default(NatsConfig, { servers: ['nats://127.0.0.1:4222'] }) as NatsConfig, telemetry: t });
    const text = await t.metrics();
    expect(text).toContain('gatehouse_bus_publish_duration_seconds');
    expect(text).toContain('gatehouse_nats_connected');
  });
});
