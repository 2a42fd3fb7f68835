import { badRequest } from '../../server/errors.js';
import { asRecord, text, type Json } from '../values.js';
import { parseJsonText } from '../../track/body.js';

/**
 * Self-describing JSON of the tracker protocol: `ue_pr`/`co` as JSON text, `ue_px`/`cx` as URL-safe base64 of
 * the same. Both wrap the payload in a schema envelope (unstruct_event, contexts) around `{schema, data}`.
 */
function readJson(plain: unknown, encoded: unknown, names: string): Json | undefined {
  const pr = text(plain);
  const px = text(encoded);
  if (pr === undefined && px === undefined) return undefined;
  let source: string;
  if (pr !== undefined) source = pr;
  else {
    if (!/^[A-Za-z0-9+/_-]+=*$/.test(px as string)) throw badRequest('INVALID_EVENT', `${names}: not base64`);
    source = Buffer.from(px as string, 'base64').toString('utf8');
  }
  // The same reader as every JSON body: depth and size limits, prototype-poisoning keys refused, lone surrogates replaced.
  const value = asRecord(parseJsonText(source));
  if (value) return value;
  throw badRequest('INVALID_EVENT', `${names}: not a self-describing JSON object`);
}

/** `iglu:com.acme/link_click/jsonschema/1-0-0` → `link_click`. */
export function schemaName(schema: string): string | undefined {
  const m = /^iglu:[^/]+\/([^/]+)\/[^/]+\/[^/]+$/.exec(schema);
  return m?.[1];
}

export function selfDescribingEvent(plain: unknown, encoded: unknown): { name: string; schema: string; data: Json | undefined } {
  const envelope = readJson(plain, encoded, 'ue_pr/ue_px');
  if (!envelope) throw badRequest('INVALID_EVENT', 'a self-describing event (e=ue) needs ue_pr or ue_px');
  const inner = asRecord(envelope.data);
  const schema = text(inner?.schema);
  const name = schema ? schemaName(schema) : undefined;
  if (!inner || !schema || !name) throw badRequest('INVALID_EVENT', 'ue_pr/ue_px: data.schema must be an iglu: schema URI');
  return { name, schema, data: asRecord(inner.data) };
}

/** Contexts (`co`/`cx`) → params `ctx.<schema name>` holding the context's data as JSON. */
export function contextParams(plain: unknown, encoded: unknown, params: Record<string, string>): void {
  const envelope = readJson(plain, encoded, 'co/cx');
  if (!envelope) return;
  if (!Array.isArray(envelope.data)) throw badRequest('INVALID_EVENT', 'co/cx: "data" must be an array of contexts');
  const byName = new Map<string, unknown[]>();
  for (const entry of envelope.data) {
    const context = asRecord(entry);
    const name = context && text(context.schema) ? schemaName(text(context.schema) as string) : undefined;
    if (!context || !name) throw badRequest('INVALID_EVENT', 'co/cx: every context needs an iglu: schema');
    byName.set(name, [...(byName.get(name) ?? []), context.data]);
  }
  for (const [name, list] of byName) params[`ctx.${name}`] = JSON.stringify(list.length === 1 ? list[0] : list);
}
