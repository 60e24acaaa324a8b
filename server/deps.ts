import type { EventEmitter } from 'node:events';
import type { Kysely } from 'kysely';
import type { Config } from './config.ts';
import type { SecretBox } from './core/crypto.ts';
import type { Logger } from './core/logger.ts';
import type { Database } from './db/database.ts';
import type { DB } from './db/schema.ts';
import type { RoutingCache } from './gateway/routing-cache.ts';
import type { ApiKeyCache } from './auth/api-key-cache.ts';
import type { DeliveryPorts } from './delivery/ports.ts';
import type { EventQuotas } from './operator/event-quota.ts';
import type { Sandbox } from './transformations/sandbox.ts';
import type { HubMetrics } from './core/prometheus.ts';
import type { Tracing } from './core/tracing.ts';

/** What every service needs; built once in app.ts and passed down explicitly. */
export type Deps = {
  config: Config;
  database: Database;
  db: Kysely<DB>;
  box: SecretBox;
  log: Logger;
  /** In-process signal that events became due in a lane (the embedded database has no cross-connection NOTIFY). */
  due: EventEmitter;
  /** Tells delivery lanes (here and in other worker processes) that events are due. */
  wake: (lanes: number[]) => void;
  routing: RoutingCache;
  /** API keys as authentication resolves them, for a second (api-key-cache.ts). */
  apiKeys: ApiKeyCache;
  /** Teams' events-per-month quotas, held in memory for ingest and publish (operator/event-quota.ts). */
  eventQuotas: EventQuotas;
  /** Runs transformations' JavaScript in WebAssembly isolates on worker threads, off the event loop. */
  sandbox: Sandbox;
  /** What delivery asks of the domain services, which import delivery (delivery/ports.ts). */
  delivery: DeliveryPorts;
  /** The operator's Prometheus counters (GET /metrics). */
  metrics: HubMetrics;
  /** OpenTelemetry traces; null unless an OTLP endpoint is configured (core/tracing.ts). */
  tracing: Tracing | null;
};
