import { Type, type StaticDecode } from '@sinclair/typebox';
import { Section, Duration } from '../config/types.js';

const File = (description: string) => Type.String({ default: '', description });

export const NatsConfig = Section(
  {
    servers: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description: 'NATS server URLs (nats://host:4222, or tls://...); list every node of the cluster. No credentials in them (they are shown in logs and /readyz): use user and pass, token, creds or nkey.',
    }),
    user: Type.String({ default: '', description: 'User name (with pass).' }),
    pass: Type.String({ default: '', description: 'Password; use "${NATS_PASS}".' }),
    token: Type.String({ default: '', description: 'Auth token; use "${NATS_TOKEN}".' }),
    creds: File('Path of a .creds file (JWT + nkey seed).'),
    nkey: File('Path of a file holding an nkey seed.'),
    tls: Section(
      {
        ca: File('CA certificate (PEM) to verify the servers with.'),
        cert: File('Client certificate (PEM) for mutual TLS.'),
        key: File('Client key (PEM) for mutual TLS.'),
      },
      { description: 'TLS to NATS. Server certificates are always verified.' },
    ),
    stream: Type.String({ default: 'GATEHOUSE', pattern: '^[A-Za-z0-9_-]+$', description: 'JetStream stream name.' }),
    subject: Type.String({ default: 'gatehouse.events', description: 'Subject events are published on.' }),
    deadLetterSubject: Type.String({
      default: 'gatehouse.dead',
      description: 'Subject poison messages are published to (with the reason in headers).',
    }),
    serviceSubjects: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description:
        'More subjects the stream captures: service messages from other services ("tic.log.>", "tic.count.>", "tic.update.>") when consumer.serviceSubjects is enabled.',
    }),
    replicas: Type.Integer({ minimum: 1, maximum: 5, default: 1, description: 'Stream replicas (3 in a cluster).' }),
    maxAge: Duration('7d', { description: 'How long the stream keeps events.' }),
    duplicateWindow: Duration('2m', { description: 'JetStream dedupe window for Nats-Msg-Id.' }),
    connectTimeout: Duration('5s', { description: 'Timeout of one connection attempt.' }),
    standby: Type.Boolean({
      default: true,
      description:
        'A publishing process keeps a second connection, to another node where there is one, and publishes on it at once when the first is lost (no dial on the failover path).',
    }),
  },
  { description: 'NATS JetStream connection and stream.' },
);

export const BusConfig = Section(
  {
    kind: Type.Union([Type.Literal('memory'), Type.Literal('nats')], {
      default: 'memory',
      description: 'memory: embedded, in-process (events go straight to the sinks); nats: NATS JetStream.',
    }),
    nats: NatsConfig,
  },
  { description: 'The message bus between the gateway and the consumer.' },
);

export type BusConfig = StaticDecode<typeof BusConfig>;
export type NatsConfig = StaticDecode<typeof NatsConfig>;
