import type { Kysely } from 'kysely';
import type { z } from 'zod';
import type { Connector } from '../../connectors/types.ts';
import { newId } from '../core/ids.ts';
import type { ConnectionRow, DB, DestinationRow } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { sealConfig, type DestinationConfig } from '../gateway/destinations.service.ts';
import type { Rule } from '../gateway/rules.ts';

export type PairInput = {
  workspaceId: string;
  sourceId: string;
  name: string;
  description: string | null;
  connector: Pick<Connector<z.ZodType>, 'id' | 'secretFields'>;
  config: DestinationConfig;
  rules: Rule[];
  disabled?: boolean;
  /** Deliveries in flight at once; null or absent: the hub's default. */
  maxConcurrency?: number | null;
};

/**
 * The hub's objects (webhooks, Zapier subscriptions) are a destination plus one connection from
 * the workspace's application source, made together inside the caller's transaction.
 */
export async function insertApplicationPair(trx: Kysely<DB>, deps: Pick<Deps, 'box'>, p: PairInput): Promise<{ dest: DestinationRow; conn: ConnectionRow }> {
  const dest = await trx
    .insertInto('destinations')
    .values({
      id: newId('des'),
      workspace_id: p.workspaceId,
      name: p.name,
      description: p.description,
      type: p.connector.id,
      max_concurrency: p.maxConcurrency ?? null,
      ...sealConfig(deps, p.connector, p.config),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  const conn = await trx
    .insertInto('connections')
    .values({
      id: newId('web'),
      workspace_id: p.workspaceId,
      name: p.name,
      description: p.description,
      source_id: p.sourceId,
      destination_id: dest.id,
      rules: JSON.stringify(p.rules),
      disabled_at: p.disabled ? new Date() : null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { dest, conn };
}
