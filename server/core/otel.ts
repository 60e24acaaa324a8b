import { defaultTextMapGetter, defaultTextMapSetter, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
} from '@opentelemetry/semantic-conventions';
import type { TracingConfig } from '../config.ts';
import type { Logger } from './logger.ts';
import type { AttemptSpan, IngestSpan, Tracing } from './tracing-types.ts';

const SHUTDOWN_EXPORT_MS = 2_000;

/**
 * The SDK behind `Tracing`, imported only when tracing is on (tracing.ts). Spans go through a
 * batch processor to OTLP/HTTP (JSON); nothing is registered globally, so no library's own
 * instrumentation is switched on behind the hub's back, and parents are passed explicitly rather
 * than through an async context manager.
 *
 * A sender's own `traceparent` is not continued: senders are strangers, and a trace id and
 * sampling flag of their choosing would decide what the operator's tracing backend records.
 */
export function otelTracing(config: TracingConfig, version: string, log: Logger): Tracing {
  const exporter = new OTLPTraceExporter({ url: config.url });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName, [ATTR_SERVICE_VERSION]: version }),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: config.exportDelayMs })],
  });
  const tracer = provider.getTracer('wirehub', version);
  const propagator = new W3CTraceContextPropagator();

  return {
    ingest(req, res, sourceId): IngestSpan {
      const span = tracer.startSpan('POST /e/{source_id}', {
        kind: SpanKind.SERVER,
        root: true,
        attributes: { [ATTR_HTTP_REQUEST_METHOD]: req.method ?? 'POST', [ATTR_HTTP_ROUTE]: '/e/{source_id}', 'wirehub.source.id': sourceId },
      });
      let traceparent: string | null = null;
      if (span.isRecording()) {
        const carrier: Record<string, string> = {};
        propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, defaultTextMapSetter);
        traceparent = carrier.traceparent ?? null;
      }
      res.once('close', () => {
        // A connection closed before the answer was written is not the status code Node holds.
        const status = res.headersSent ? res.statusCode : 0;
        span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
        if (status === 0 || status >= 500)
          span.setStatus({ code: SpanStatusCode.ERROR, message: status === 0 ? 'connection closed before the answer' : `answered ${status}` });
        span.end();
      });
      return {
        traceparent,
        stored(requestId, eventIds) {
          span.setAttributes({ 'wirehub.request.id': requestId, 'wirehub.event.ids': eventIds, 'wirehub.event.count': eventIds.length });
          // One event per connection: with a single one, the attribute a search by event id looks for.
          if (eventIds.length === 1) span.setAttribute('wirehub.event.id', eventIds[0]);
        },
      };
    },

    attempted(traceparent, a: AttemptSpan) {
      const parent = traceparent ? propagator.extract(ROOT_CONTEXT, { traceparent }, defaultTextMapGetter) : ROOT_CONTEXT;
      const attributes: Attributes = {
        'wirehub.event.id': a.eventId,
        'wirehub.request.id': a.requestId,
        'wirehub.destination.id': a.destinationId,
        'wirehub.destination.type': a.destinationType,
        'wirehub.attempt.number': a.attemptNumber,
        'wirehub.delivery.status': a.status,
      };
      if (a.responseStatus !== null) attributes[ATTR_HTTP_RESPONSE_STATUS_CODE] = a.responseStatus;
      if (a.errorCode !== null) attributes[ATTR_ERROR_TYPE] = a.errorCode;
      // No URL: a destination's URL may carry its credentials (a Slack webhook, a token in the query).
      const span = tracer.startSpan('deliver', { kind: SpanKind.CLIENT, startTime: a.startedAt, attributes }, parent);
      if (a.status !== 'SUCCESSFUL') span.setStatus({ code: SpanStatusCode.ERROR, message: a.errorCode ?? a.status });
      span.end(new Date(a.startedAt.getTime() + a.durationMs));
    },

    async shutdown() {
      // A collector that is down would hold the exit through the exporter's retries (10 s and more):
      // the last spans are worth two seconds of a shutdown, not the shutdown's whole bound.
      let timer: NodeJS.Timeout | undefined;
      const gaveUp = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), SHUTDOWN_EXPORT_MS)));
      const done = provider.shutdown().then(
        () => 'done' as const,
        (err: Error) => {
          log.warn({ err: err.message }, 'could not export the last traces');
          return 'done' as const;
        },
      );
      if ((await Promise.race([done, gaveUp])) === 'timeout') log.warn({ ms: SHUTDOWN_EXPORT_MS }, 'gave up exporting the last traces');
      clearTimeout(timer);
    },
  };
}
