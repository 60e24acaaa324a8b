import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The operator's Prometheus metrics (`GET /metrics`, server/prometheus.routes.ts). Not the
 * dashboard's charts (server/gateway/metrics.*), which are per team and read from the database.
 *
 * The counters on the hot paths (ingest and publish are served before Express, thousands a second)
 * are plain numbers in objects cached per label value: counting a request is a Map lookup and an
 * increment. They are handed to prom-client only when scraped (each metric's `collect`), so no
 * label set is hashed or validated per request.
 */

/**
 * Ids past this many (sources, destinations) are counted under `other`, so a hub with a great
 * many of them still answers a scrape of bounded size: at most this many ids per metric, times
 * its few outcomes.
 */
export const MAX_LABELLED_IDS = 1000;
export const OTHER = 'other';
/** Requests to a source id this process has not seen exist (a typo, a made-up id) share one label. */
export const UNKNOWN = 'unknown';

/**
 * What an inbound request (`/e/…`) came to: stored and answered 200; `rejected`, stored but failing
 * its source's verification (401); `refused`, 503 and nothing stored (overload, a database that
 * did not answer); `invalid`, any other 4xx (no such source, disabled, method, size, depth);
 * `failed`, a 500.
 */
export const INGEST_OUTCOMES = ['accepted', 'rejected', 'refused', 'invalid', 'failed'] as const;
export type IngestOutcome = (typeof INGEST_OUTCOMES)[number];
/** `POST /publish`: 202 (`replayed` when its idempotency key answered an earlier publish), then as ingest's. */
export const PUBLISH_OUTCOMES = ['accepted', 'replayed', 'refused', 'invalid', 'failed'] as const;
export type PublishOutcome = (typeof PUBLISH_OUTCOMES)[number];
/** A delivery attempt: delivered; failed with a retry scheduled; failed for good; not sent (a transformation's filter). */
export const ATTEMPT_OUTCOMES = ['successful', 'retry', 'failed', 'cancelled'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

/** An ingest or publish error answer's status as an outcome. */
export function errorOutcome(status: number): 'refused' | 'invalid' | 'failed' {
  if (status === 503) return 'refused';
  if (status >= 500) return 'failed';
  return 'invalid';
}

/** Counts per id and outcome; `row` is the hot-path call. */
export class CountsById<O extends string> {
  private readonly rows = new Map<string, Record<O, number>>();

  constructor(
    private readonly outcomes: readonly O[],
    private readonly maxIds = MAX_LABELLED_IDS,
  ) {}

  has(id: string): boolean {
    return this.rows.has(id);
  }

  /** The counts of `id`, or of `other` once `maxIds` ids have their own. */
  row(id: string): Record<O, number> {
    const row = this.rows.get(id);
    if (row) return row;
    const key = this.rows.size < this.maxIds ? id : OTHER;
    let made = this.rows.get(key);
    if (!made) this.rows.set(key, (made = Object.fromEntries(this.outcomes.map((o) => [o, 0])) as Record<O, number>));
    return made;
  }

  entries(): IterableIterator<[string, Record<O, number>]> {
    return this.rows.entries();
  }
}

/** A reading taken when scraped: a gauge's values by label set. */
export type Reading = { labels?: Record<string, string | number>; value: number }[];

/** Default Node metrics (CPU, memory, GC, event-loop lag) describe the process, so one set serves every hub in it. */
let processRegistry: Registry | null = null;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    // Started at the first scrape: a hub nobody scrapes runs no event-loop monitor for it.
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** One hub's metrics (Deps.metrics). */
export class HubMetrics {
  private readonly registry = new Registry();
  private readonly ingestCounts = new CountsById(INGEST_OUTCOMES);
  private readonly publishCounts = Object.fromEntries(PUBLISH_OUTCOMES.map((o) => [o, 0])) as Record<PublishOutcome, number>;
  private readonly attemptCounts = new CountsById(ATTEMPT_OUTCOMES);
  private readonly attemptSeconds: Histogram<'outcome'>;

  constructor() {
    const ingest = this.ingestCounts;
    const attempts = this.attemptCounts;
    const publishes = this.publishCounts;
    new Counter({
      name: 'wirehub_ingest_requests_total',
      help: 'Requests to /e/<source> by source and outcome (accepted, rejected by verification, refused 503, invalid 4xx, failed 500)',
      labelNames: ['source', 'outcome'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [source, row] of ingest.entries()) for (const outcome of INGEST_OUTCOMES) this.inc({ source, outcome }, row[outcome]);
      },
    });
    new Counter({
      name: 'wirehub_ingest_verification_failures_total',
      help: "Requests to /e/<source> that failed their source's verification (signature, token, basic auth), by source",
      labelNames: ['source'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [source, row] of ingest.entries()) if (source !== UNKNOWN) this.inc({ source }, row.rejected);
      },
    });
    new Counter({
      name: 'wirehub_publish_requests_total',
      help: 'POST /publish requests by outcome (accepted, replayed by an idempotency key, refused 503, invalid 4xx, failed 500)',
      labelNames: ['outcome'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const outcome of PUBLISH_OUTCOMES) this.inc({ outcome }, publishes[outcome]);
      },
    });
    new Counter({
      name: 'wirehub_delivery_attempts_total',
      help: 'Delivery attempts by destination and outcome (successful, retry scheduled, failed for good, cancelled by a filter after a transformation)',
      labelNames: ['destination', 'outcome'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [destination, row] of attempts.entries()) for (const outcome of ATTEMPT_OUTCOMES) this.inc({ destination, outcome }, row[outcome]);
      },
    });
    this.attemptSeconds = new Histogram({
      name: 'wirehub_delivery_attempt_duration_seconds',
      help: 'How long delivery attempts took, from the request sent to the answer read (or the failure), by outcome',
      labelNames: ['outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [this.registry],
    });
  }

  /**
   * A request to `/e/<sourceId>` was answered. A source id becomes a label of its own once a
   * request to it was accepted or rejected (the source exists); until then its refusals and
   * errors count under `unknown`, so requests to made-up ids cannot fill the label sets.
   */
  ingest(sourceId: string, outcome: IngestOutcome): void {
    const id = outcome === 'accepted' || outcome === 'rejected' || this.ingestCounts.has(sourceId) ? sourceId : UNKNOWN;
    this.ingestCounts.row(id)[outcome]++;
  }

  publish(outcome: PublishOutcome): void {
    this.publishCounts[outcome]++;
  }

  /** An attempt was made; `eventStatus` is the event's after it (SCHEDULED: a retry is due). */
  attempt(destinationId: string, eventStatus: string, durationMs: number): void {
    const outcome: AttemptOutcome =
      eventStatus === 'SUCCESSFUL' ? 'successful' : eventStatus === 'FAILED' ? 'failed' : eventStatus === 'CANCELLED' ? 'cancelled' : 'retry';
    this.attemptCounts.row(destinationId)[outcome]++;
    this.attemptSeconds.observe({ outcome }, durationMs / 1000);
  }

  /** A gauge read when scraped; a reading that throws leaves the gauge empty for that scrape. */
  gauge(name: string, help: string, labelNames: string[], read: () => Reading | Promise<Reading>): void {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        this.reset();
        let reading: Reading;
        try {
          reading = await read();
        } catch {
          return;
        }
        for (const { labels, value } of reading) {
          if (labels) this.set(labels, value);
          else this.set(value);
        }
      },
    });
  }

  readonly contentType = this.registry.contentType;

  /** The exposition text: the process's default metrics, then the hub's. */
  async text(): Promise<string> {
    const [own, process] = await Promise.all([this.registry.metrics(), processMetrics().metrics()]);
    return `${process}\n${own}`;
  }
}
