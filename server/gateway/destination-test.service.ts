import { notFound } from '../core/errors.ts';
import type { Deps } from '../deps.ts';
import { apiDeliveryContext } from '../delivery/deliver-now.ts';
import { connectorOf, destinationConfig } from './destination-config.ts';

/**
 * The connector checks the destination's credentials and target without writing anything. What it
 * finds is kept as the destination's warning (a drifted sheet header), and a clean test clears it.
 */
export async function testDestination(deps: Deps, ws: string, id: string) {
  const row = await deps.db.selectFrom('destinations').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('Destination', id);
  const connector = connectorOf(row.type);
  const started = Date.now();
  const result = await connector.testConnection(apiDeliveryContext(deps), connector.configSchema.parse(destinationConfig(deps, row)));
  const warning = result.warnings[0] ?? (result.ok ? null : row.warning);
  if (warning !== row.warning) await deps.db.updateTable('destinations').set({ warning }).where('id', '=', id).execute();
  return { ...result, destination_id: id, type: row.type, duration_ms: Date.now() - started };
}
