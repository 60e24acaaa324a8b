import type { TracingConfig } from '../config.ts';
import type { Logger } from './logger.ts';
import type { Tracing } from './tracing-types.ts';

export type { AttemptSpan, IngestSpan, Tracing } from './tracing-types.ts';

/**
 * Loads the OpenTelemetry SDK (otel.ts) only when an OTLP endpoint is configured; see tracing-types.ts.
 */
export async function startTracing(config: TracingConfig | null, version: string, log: Logger): Promise<Tracing | null> {
  if (!config) return null;
  const { otelTracing } = await import('./otel.ts');
  const tracing = otelTracing(config, version, log);
  log.info({ url: config.url, service: config.serviceName }, 'exporting OpenTelemetry traces');
  return tracing;
}
