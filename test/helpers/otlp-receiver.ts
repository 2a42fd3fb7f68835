import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/**
 * A stand-in OpenTelemetry collector: a real HTTP server on port 0 that takes OTLP/HTTP trace exports in the
 * JSON encoding (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding) and decodes them itself, by
 * the spec rather than with the SDK's own code, so the wire format is what is tested. A request that breaks the
 * format is answered 400 and listed in `violations`.
 */

export type AttributeValue = string | number | boolean;

export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** '' for a root span. */
  readonly parentSpanId: string;
  readonly name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client. */
  readonly kind: number;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  readonly status: number;
  readonly resource: Readonly<Record<string, AttributeValue>>;
  readonly startNanos: bigint;
  readonly endNanos: bigint;
}

export interface OtlpReceiver {
  /** The traces URL to configure: `<base>/v1/traces`. */
  readonly url: string;
  readonly spans: ReceivedSpan[];
  readonly violations: string[];
  /** Each export request: its headers and decoded body text. */
  readonly exports: { readonly headers: IncomingHttpHeaders; readonly body: string }[];
  close(): Promise<void>;
}

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;

interface KeyValue {
  key: string;
  value: { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const violations: string[] = [];
  const exports: OtlpReceiver['exports'][number][] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const refuse = (why: string) => {
        violations.push(why);
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ message: why }));
      };
      if (req.method !== 'POST' || req.url !== '/v1/traces') return refuse(`${req.method} ${req.url}: not an OTLP traces export`);
      if (!req.headers['content-type']?.startsWith('application/json')) return refuse(`content-type ${req.headers['content-type']}`);
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const text = body.toString('utf8');
      exports.push({ headers: req.headers, body: text });
      try {
        spans.push(...decodeExport(JSON.parse(text)));
      } catch (err) {
        return refuse((err as Error).message);
      }
      // An ExportTraceServiceResponse with no partial_success: every span taken.
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`,
    spans,
    violations,
    exports,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** ExportTraceServiceRequest → spans; throws on anything the spec does not allow. */
function decodeExport(request: { resourceSpans?: unknown }): ReceivedSpan[] {
  if (!Array.isArray(request.resourceSpans)) throw new Error('no resourceSpans array');
  const out: ReceivedSpan[] = [];
  for (const rs of request.resourceSpans as { resource?: { attributes?: KeyValue[] }; scopeSpans?: unknown }[]) {
    const resource = attributes(rs.resource?.attributes ?? []);
    if (!Array.isArray(rs.scopeSpans)) throw new Error('no scopeSpans array');
    for (const ss of rs.scopeSpans as { spans?: unknown }[]) {
      if (!Array.isArray(ss.spans)) throw new Error('no spans array');
      for (const s of ss.spans as Record<string, unknown>[]) out.push(decodeSpan(s, resource));
    }
  }
  return out;
}

function decodeSpan(s: Record<string, unknown>, resource: Record<string, AttributeValue>): ReceivedSpan {
  // OTLP/JSON writes trace and span ids as hex, not base64 (the one departure from the protobuf JSON mapping).
  const traceId = String(s.traceId);
  const spanId = String(s.spanId);
  const parentSpanId = s.parentSpanId === undefined ? '' : String(s.parentSpanId);
  if (!HEX32.test(traceId)) throw new Error(`traceId ${traceId} is not 32 hex digits`);
  if (!HEX16.test(spanId)) throw new Error(`spanId ${spanId} is not 16 hex digits`);
  if (parentSpanId !== '' && !HEX16.test(parentSpanId)) throw new Error(`parentSpanId ${parentSpanId} is not 16 hex digits`);
  if (typeof s.name !== 'string' || s.name === '') throw new Error('span without a name');
  const startNanos = BigInt(String(s.startTimeUnixNano));
  const endNanos = BigInt(String(s.endTimeUnixNano));
  if (endNanos < startNanos) throw new Error(`span ${s.name} ends before it starts`);
  return {
    traceId,
    spanId,
    parentSpanId,
    name: s.name,
    kind: Number(s.kind ?? 0),
    attributes: attributes((s.attributes as KeyValue[] | undefined) ?? []),
    status: Number((s.status as { code?: number } | undefined)?.code ?? 0),
    resource,
    startNanos,
    endNanos,
  };
}

function attributes(list: KeyValue[]): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const { key, value } of list) {
    if (value.stringValue !== undefined) out[key] = value.stringValue;
    // int64 may be written as a JSON string or number.
    else if (value.intValue !== undefined) out[key] = Number(value.intValue);
    else if (value.boolValue !== undefined) out[key] = value.boolValue;
    else if (value.doubleValue !== undefined) out[key] = value.doubleValue;
  }
  return out;
}
