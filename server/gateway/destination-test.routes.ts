import { Router } from 'express';
import { authOf } from '../auth/auth.middleware.ts';
import { notFound } from '../core/errors.ts';
import { idParam } from '../core/validate.ts';
import type { Deps } from '../deps.ts';
import { apiDeliveryContext } from '../delivery/deliver-now.ts';
import { connectorOf, destinationConfig } from './destinations.service.ts';

/**
 * `POST /destinations/:id/test`: the connector checks its credentials and target without writing
 * anything. What it finds is kept as the destination's warning (a drifted sheet header), and a
 * clean test clears it.
 */
export function destinationTestRoutes(deps: Deps): Router {
  const r = Router();
  r.post('/destinations/:id/test', async (req, res) => {
    const id = idParam(req, 'des', 'Destination');
    const row = await deps.db.selectFrom('destinations').selectAll().where('workspace_id', '=', authOf(req).workspaceId).where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('Destination', id);
    const connector = connectorOf(row.type);
    const started = Date.now();
    const result = await connector.testConnection(apiDeliveryContext(deps), connector.configSchema.parse(destinationConfig(deps, row)));
    const warning = result.warnings[0] ?? (result.ok ? null : row.warning);
    if (warning !== row.warning) await deps.db.updateTable('destinations').set({ warning }).where('id', '=', id).execute();
    res.json({ ...result, destination_id: id, type: row.type, duration_ms: Date.now() - started });
  });
  return r;
}
