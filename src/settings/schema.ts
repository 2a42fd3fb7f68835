import { Type, type StaticDecode } from '@sinclair/typebox';
import { ServerConfig, AdminConfig, LogConfig } from '../server/config.js';
import { TrackingConfig } from '../track/config.js';
import { EnrichConfig } from '../track/enrich/config.js';
import { SpoolConfig } from '../spool/config.js';
import { BusConfig } from '../bus/config.js';
import { ConsumerConfig } from '../consumer/config.js';
import { SinksConfig } from '../sinks/config.js';
import { StaticConfig } from '../static/config.js';
import { TlsConfig } from '../tls/config.js';
import { ProxyConfig } from '../proxy/config.js';
import { RateLimitConfig } from '../ratelimit/config.js';
import { ProtocolsConfig } from '../protocols/config.js';
import { DestinationsConfig } from '../destinations/config.js';
import { ExperimentsConfig } from '../experiments/config.js';
import { TracingConfig } from '../telemetry/tracing/config.js';

/** The whole of config.json. Each component declares its own slice beside its code. */
export const ConfigSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String({ description: 'Path or URL of config.schema.json, for editors.' })),
    server: ServerConfig,
    admin: AdminConfig,
    log: LogConfig,
    tracking: TrackingConfig,
    enrich: EnrichConfig,
    spool: SpoolConfig,
    bus: BusConfig,
    consumer: ConsumerConfig,
    sinks: SinksConfig,
    static: StaticConfig,
    tls: TlsConfig,
    proxy: ProxyConfig,
    rateLimit: RateLimitConfig,
    protocols: ProtocolsConfig,
    destinations: DestinationsConfig,
    experiments: ExperimentsConfig,
    tracing: TracingConfig,
  },
  {
    $id: 'https://gatehouse.dev/config.schema.json',
    title: 'Gatehouse configuration',
    description: 'config.json: the one configuration file of Gatehouse.',
    additionalProperties: false,
  },
);

export type Config = StaticDecode<typeof ConfigSchema>;
