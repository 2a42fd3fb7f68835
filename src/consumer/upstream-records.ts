import type { ServiceRecord } from '../sinks/sink.js';

/**
 * Service messages in the upstream tracker's wire format (its NATS listener, sfproductlabs/tracker nats.go and
 * cassandra.go), read into Gatehouse records so its producers keep working unchanged:
 * - count `{id?}`: `id` is the counter's name, the subject when absent; one increment per message.
 * - update `{id?, updated?, msg}`: `id` names the updated thing (the subject when absent), `updated` is epoch ms
 *   (string or number), `msg` anything JSON.
 * - log `{level: number, topic, name, host, hostname, owner, ip, ldate, ltimenss, params, id, msg}`: the fields are
 *   kept in `fields` as sent (`params` as an object when it was sent as a JSON string), the level also as text.
 * Upstream producers publish without a record id, so each message's own id (Nats-Msg-Id, else the stream
 * sequence) keys it: two messages with the same upstream `id` are two records, as upstream stored them.
 */
export type Base = Pick<ServiceRecord, 'id' | 'time' | 'subject'>;
type Body = Record<string, unknown>;

export function upstreamCount(v: Body, base: Base): ServiceRecord {
  const name = typeof v.id === 'string' && v.id ? v.id : base.subject;
  return { kind: 'count', ...base, name, by: 1 };
}

export function upstreamUpdate(v: Body, base: Base): ServiceRecord | string {
  if (v.msg === undefined) return 'update needs "msg" (upstream format) or "table", "key" and "values"';
  const key = typeof v.id === 'string' && v.id ? v.id : base.subject;
  const time = epochMs(v.updated) ?? base.time;
  return { kind: 'update', ...base, time, table: base.subject, key, values: { msg: v.msg } };
}

/** Keys only the upstream log format has; a log carrying one (or a numeric level) is read as upstream's. */
const UPSTREAM_LOG_KEYS = ['topic', 'name', 'host', 'hostname', 'owner', 'ip', 'ldate', 'ltimenss', 'params'];

export function isUpstreamLog(v: Body): boolean {
  return typeof v.level === 'number' || UPSTREAM_LOG_KEYS.some((k) => v[k] !== undefined);
}

export function upstreamLog(v: Body, base: Base): ServiceRecord | string {
  if (typeof v.msg !== 'string' || !v.msg) return 'log needs "msg"';
  const fields: Record<string, unknown> = {};
  for (const [k, value] of Object.entries(v)) if (k !== 'msg' && k !== 'time' && value !== undefined && value !== null) fields[k] = value;
  if (typeof fields.params === 'string') fields.params = jsonObject(fields.params) ?? fields.params;
  // Upstream filed a log under its topic, or its id when it had none.
  if (fields.topic === undefined && typeof v.id === 'string') fields.topic = v.id;
  const level = typeof v.level === 'number' || typeof v.level === 'string' ? String(v.level) : undefined;
  return { kind: 'log', ...base, msg: v.msg, ...(level ? { level } : {}), fields };
}

function epochMs(value: unknown): string | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : NaN;
  return Number.isInteger(n) && n >= 0 ? new Date(n).toISOString() : undefined;
}

function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
