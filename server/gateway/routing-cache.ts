import type { Kysely } from 'kysely';
import type { Config } from '../config.ts';
import type { SecretBox } from '../core/crypto.ts';
import { TtlCache } from '../core/ttl-cache.ts';
import { laneOf } from '../delivery/lanes.ts';
import type { DB } from '../db/schema.ts';
import { dedupeSpec, type DedupeSpec } from './dedupe-key.ts';
import { compileStoredFilter, splitFilters, type CompiledFilter, type DeduplicateRuleT, type DelayRuleT, type Rule } from './rules.ts';
import { sourceAuthOf, type SourceAuth } from './source-auth.ts';

export type Route = {
  connectionId: string;
  destinationId: string;
  lane: number;
  paused: boolean;
  destinationDisabled: boolean;
  /**
   * Every filter rule of the connection that reads the original request (not those after a
   * transformation), all of which must match, in order, each with the flow step it was written for.
   */
  filters: { step: string | null; test: CompiledFilter }[];
  dedupe: DedupeSpec | null;
  /** The flow step of the deduplicate rule: a duplicate is recorded as that step's. */
  dedupeStep: string | null;
  /** From a delay rule: new events wait this long, `SCHEDULED`. */
  delayMs: number;
};

export type SourceRoutes = {
  id: string;
  workspaceId: string;
  /** `WEBHOOK`, or `APPLICATION` for a workspace's built-in source of published events. */
  type: string;
  disabled: boolean;
  auth: SourceAuth | null;
  allowedMethods: string[] | null;
  routes: Route[];
};

/**
 * Ingest looks up a source and its connections on every request; this keeps them (with filters
 * compiled) for a second. Writes in this process invalidate at once; other processes see a
 * change within the TTL.
 */
export class RoutingCache extends TtlCache<SourceRoutes | null> {
  constructor(
    private readonly deps: { db: Kysely<DB>; box: SecretBox; config: Pick<Config, 'deliveryLanes'> },
    ttlMs = 1000,
  ) {
    // An unknown source is remembered too: a sender posting to it again costs no query.
    super({ ttlMs, maxEntries: 50_000, keepMisses: true });
  }

  get(sourceId: string): Promise<SourceRoutes | null> {
    return this.through(sourceId, () => this.load(sourceId));
  }

  private async load(sourceId: string): Promise<SourceRoutes | null> {
    const { db } = this.deps;
    const source = await db.selectFrom('sources').selectAll().where('id', '=', sourceId).executeTakeFirst();
    if (!source) return null;
    const conns = await db
      .selectFrom('connections')
      .innerJoin('destinations', 'destinations.id', 'connections.destination_id')
      .select([
        'connections.id',
        'connections.destination_id',
        'connections.rules',
        'connections.paused_at',
        'destinations.disabled_at as destination_disabled_at',
      ])
      .where('connections.source_id', '=', sourceId)
      .where('connections.disabled_at', 'is', null)
      .orderBy('connections.id')
      .execute();
    return {
      id: source.id,
      workspaceId: source.workspace_id,
      type: source.type,
      disabled: source.disabled_at !== null,
      auth: sourceAuthOf(this.deps, source),
      allowedMethods: (source.config.allowed_http_methods as string[] | undefined) ?? null,
      routes: conns.map((c) => {
        const rules = c.rules as Rule[];
        const filters = splitFilters(rules).ingest.map((f) => ({ step: f.step ?? null, test: compileStoredFilter(f) }));
        const dedupe = rules.find((r): r is DeduplicateRuleT => r.type === 'deduplicate');
        return {
          connectionId: c.id,
          destinationId: c.destination_id,
          lane: laneOf(c.destination_id, this.deps.config.deliveryLanes),
          paused: c.paused_at !== null,
          destinationDisabled: c.destination_disabled_at !== null,
          filters,
          dedupe: dedupe ? dedupeSpec(dedupe) : null,
          dedupeStep: dedupe?.step ?? null,
          delayMs: rules.find((r): r is DelayRuleT => r.type === 'delay')?.delay ?? 0,
        };
      }),
    };
  }
}
