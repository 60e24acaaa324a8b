// Issue 17 §3: with OTEL_EXPORTER_OTLP_ENDPOINT set, one trace runs from POST /e/ through every
// delivery attempt of the request's events, exported as OTLP/HTTP JSON to a collector (here a
// local HTTP server that decodes what it is sent).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../server/config.ts';
import { newWorkspace, startTestHub, waitFor, type TestHub } from './support/hub.ts';
import { freePort } from './support/child-hub.ts';
import { startReceiver, type Received } from './support/receiver.ts';

type AnyValue = { stringValue?: string; intValue?: number | string; boolValue?: boolean; arrayValue?: { values?: AnyValue[] } };
type OtlpSpan = {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  status?: { code?: number };
  attributes?: { key: string; value: AnyValue }[];
};
type Export = { resourceSpans?: { resource?: { attributes?: { key: string; value: AnyValue }[] }; scopeSpans?: { spans?: OtlpSpan[] }[] }[] };

/** An attribute's plain value, as the OTLP JSON encoding nests it. */
function plain(v: AnyValue | undefined): unknown {
  if (!v) return undefined;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(plain);
  if (v.intValue !== undefined) return Number(v.intValue);
  return v.stringValue ?? v.boolValue;
}
const attr = (s: OtlpSpan, key: string) => plain(s.attributes?.find((a) => a.key === key)?.value);

function spansOf(received: Received[]): OtlpSpan[] {
  return received
    .filter((r) => r.url === '/v1/traces')
    .flatMap((r) => (JSON.parse(r.body.toString()) as Export).resourceSpans ?? [])
    .flatMap((rs) => (rs.scopeSpans ?? []).flatMap((ss) => ss.spans ?? []));
}

describe('OpenTelemetry traces from /e/ through the delivery attempts', () => {
  let hub: TestHub;
  let collector: Awaited<ReturnType<typeof startReceiver>>;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const answers = [503];

  beforeAll(async () => {
    collector = await startReceiver(() => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{}' }));
    receiver = await startReceiver(() => ({ status: answers.shift() ?? 200, body: 'ok' }));
    hub = await startTestHub(
      { retrySchedule: [50, 50] },
      { OTEL_EXPORTER_OTLP_ENDPOINT: `${collector.url}/`, OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_SERVICE_NAME: 'wirehub-test' },
    );
  });
  afterAll(async () => {
    await hub?.close();
    await collector?.close();
    await receiver?.close();
  });

  it('the ingest span and both attempts of the event (a 503, then a 200) share one trace, and carry the event id', async () => {
    const { key } = await newWorkspace(hub);
    const api = (m: 'get' | 'post', url: string) => hub.api(m, `/api/v1${url}`, key);
    const src = (await api('post', '/sources').send({ name: 'shop' })).body as { id: string };
    const des = (await api('post', '/destinations').send({ name: 'crm', config: { url: `${receiver.url}/hooks?token=s3cret` } })).body as { id: string };
    expect((await api('post', '/connections').send({ name: 'all', source_id: src.id, destination_id: des.id })).status).toBe(201);

    // The sender's own trace context is not continued: a stranger does not pick the operator's trace ids.
    const foreign = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const res = await hub.api('post', `/e/${src.id}`).set('content-type', 'application/json').set('traceparent', foreign).send({ type: 'order.paid' });
    expect(res.status).toBe(200);
    const requestId = res.body.request_id as string;
    const event = await waitFor(async () => {
      const e = (await api('get', `/events?request_id=${requestId}`)).body.models[0] as { id: string; status: string } | undefined;
      return e?.status === 'SUCCESSFUL' ? e : null;
    });

    const spans = await waitFor(
      () => {
        const all = spansOf(collector.received);
        const ingest = all.find((s) => attr(s, 'wirehub.request.id') === requestId && s.kind === 2);
        const attempts = all.filter((s) => attr(s, 'wirehub.event.id') === event.id && s.name === 'deliver');
        return ingest && attempts.length === 2 ? { ingest, attempts } : null;
      },
      15_000,
      'the ingest span and two delivery spans',
    );

    const { ingest, attempts } = spans;
    expect(ingest.name).toBe('POST /e/{source_id}');
    expect(ingest.traceId).not.toBe('0af7651916cd43dd8448eb211c80319c');
    expect(ingest.parentSpanId ?? '').toBe('');
    expect(attr(ingest, 'wirehub.source.id')).toBe(src.id);
    expect(attr(ingest, 'wirehub.event.ids')).toEqual([event.id]);
    expect(attr(ingest, 'wirehub.event.id')).toBe(event.id);
    expect(attr(ingest, 'http.response.status_code')).toBe(200);

    attempts.sort((a, b) => Number(attr(a, 'wirehub.attempt.number')) - Number(attr(b, 'wirehub.attempt.number')));
    expect(attempts.map((s) => s.traceId)).toEqual([ingest.traceId, ingest.traceId]);
    expect(attempts.map((s) => s.parentSpanId)).toEqual([ingest.spanId, ingest.spanId]);
    expect(attempts.map((s) => attr(s, 'wirehub.attempt.number'))).toEqual([1, 2]);
    expect(attempts.map((s) => attr(s, 'http.response.status_code'))).toEqual([503, 200]);
    expect(attempts.map((s) => attr(s, 'wirehub.delivery.status'))).toEqual(['SCHEDULED', 'SUCCESSFUL']);
    expect(attempts.map((s) => attr(s, 'wirehub.destination.id'))).toEqual([des.id, des.id]);
    expect(attempts.map((s) => s.status?.code ?? 0)).toEqual([2, 0]);
    // A destination's URL may carry its credentials: no span names it.
    expect(JSON.stringify(spansOf(collector.received))).not.toContain('s3cret');

    const exported = collector.received.find((r) => r.url === '/v1/traces')!;
    expect(exported.headers['content-type']).toMatch(/application\/json/);
    const resource = (JSON.parse(exported.body.toString()) as Export).resourceSpans?.[0]?.resource?.attributes ?? [];
    expect(plain(resource.find((a) => a.key === 'service.name')?.value)).toBe('wirehub-test');

    // The receiver is not handed the trace context: it is another party's server.
    const deliveries = receiver.received.filter((r) => r.url.startsWith('/hooks'));
    expect(deliveries).toHaveLength(2);
    expect(deliveries.every((r) => r.headers.traceparent === undefined)).toBe(true);
  });
});

describe('traces that cannot be exported', () => {
  it('a collector that is down costs neither ingest nor delivery anything', async () => {
    const port = await freePort();
    const receiver = await startReceiver();
    const hub = await startTestHub({}, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${port}/v1/traces`, OTEL_BSP_SCHEDULE_DELAY: '50' });
    try {
      const { key } = await newWorkspace(hub);
      const api = (m: 'get' | 'post', url: string) => hub.api(m, `/api/v1${url}`, key);
      const src = (await api('post', '/sources').send({ name: 'shop' })).body as { id: string };
      const des = (await api('post', '/destinations').send({ name: 'crm', config: { url: `${receiver.url}/hooks` } })).body as { id: string };
      await api('post', '/connections').send({ name: 'all', source_id: src.id, destination_id: des.id });
      for (let i = 0; i < 3; i++) expect((await hub.api('post', `/e/${src.id}`).send({ n: i })).status).toBe(200);
      await waitFor(() => receiver.received.length === 3, 15_000, 'three deliveries');
      const stored = await hub.deps.db.selectFrom('requests').select('traceparent').where('source_id', '=', src.id).execute();
      expect(stored.map((r) => r.traceparent)).toEqual([expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/), expect.any(String), expect.any(String)]);
    } finally {
      await hub.close();
      await receiver.close();
    }
  });

  it('without an OTLP endpoint nothing is traced and requests store no traceparent', async () => {
    const receiver = await startReceiver();
    const hub = await startTestHub();
    try {
      expect(hub.deps.tracing).toBeNull();
      const { key } = await newWorkspace(hub);
      const api = (m: 'get' | 'post', url: string) => hub.api(m, `/api/v1${url}`, key);
      const src = (await api('post', '/sources').send({ name: 'shop' })).body as { id: string };
      const des = (await api('post', '/destinations').send({ name: 'crm', config: { url: `${receiver.url}/hooks` } })).body as { id: string };
      await api('post', '/connections').send({ name: 'all', source_id: src.id, destination_id: des.id });
      expect((await hub.api('post', `/e/${src.id}`).set('traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01').send({ n: 1 })).status).toBe(
        200,
      );
      await waitFor(() => receiver.received.length === 1, 15_000, 'the delivery');
      const stored = await hub.deps.db.selectFrom('requests').select('traceparent').where('source_id', '=', src.id).execute();
      expect(stored).toEqual([{ traceparent: null }]);
    } finally {
      await hub.close();
      await receiver.close();
    }
  });
});

describe('tracing configuration', () => {
  it('reads OpenTelemetry’s variables: the base endpoint gets /v1/traces, the traces endpoint is used as it is', () => {
    expect(loadConfig({}).tracing).toBeNull();
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing).toEqual({
      url: 'http://collector:4318/v1/traces',
      serviceName: 'wirehub',
      exportDelayMs: 5000,
    });
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:9999/in' }).tracing?.url).toBe(
      'http://traces:9999/in',
    );
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).tracing?.url).toBe(
      'http://collector:4318/v1/traces',
    );
  });

  it('refuses a protocol it does not speak, naming the variable, but only when traces are exported', () => {
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(ConfigError);
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' })).toThrow(
      /OTEL_EXPORTER_OTLP_TRACES_PROTOCOL/,
    );
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
    expect(loadConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).tracing).toBeNull();
  });
});
