import type http from 'node:http';

/**
 * OpenTelemetry traces, off unless an OTLP endpoint is configured. This module imports nothing of
 * the SDK: `startTracing` loads `otel.ts` (and with it the SDK) only when tracing is on, so a hub
 * without it never loads the SDK, and its busy paths (ingest, delivery) pay one test of a null.
 *
 * One trace per request: ingest opens it, the request stores its W3C `traceparent`, and each
 * delivery attempt of its events, later and perhaps in another worker, is a span of that trace.
 */
export type Tracing = {
  /** The span of one `/e/` request, ended when its answer is sent (or the connection closes). */
  ingest(req: http.IncomingMessage, res: http.ServerResponse, sourceId: string): IngestSpan;
  /** Records one delivery attempt, after the fact, in the trace `traceparent` names (a new trace when null). */
  attempted(traceparent: string | null, attempt: AttemptSpan): void;
  /** Exports what is still buffered, then stops exporting. */
  shutdown(): Promise<void>;
};

export type IngestSpan = {
  /** What the request stores so its deliveries join this trace; null when the trace is not sampled. */
  readonly traceparent: string | null;
  /** The request was stored, with these events (one per connection that took it). */
  stored(requestId: string, eventIds: string[]): void;
};

export type AttemptSpan = {
  eventId: string;
  requestId: string;
  destinationId: string;
  destinationType: string;
  attemptNumber: number;
  /** The event's status after the attempt: SUCCESSFUL, SCHEDULED (to be retried) or FAILED. */
  status: string;
  responseStatus: number | null;
  errorCode: string | null;
  startedAt: Date;
  durationMs: number;
};
