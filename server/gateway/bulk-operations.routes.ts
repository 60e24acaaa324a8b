import { type Request, Router } from 'express';
import { z } from 'zod';
import { authOf } from '../auth/auth.middleware.ts';
import { body, idParam, query } from '../core/validate.ts';
import type { BulkFilter, BulkKind } from './bulk-operations.service.ts';
import { eventFilterBody, requestFilterBody, toEventFilter, toRequestFilter } from './log-filters.ts';
import type { Services } from '../services.ts';

export const ListQuery = z.object({
  bucket: z.enum(['all', 'ongoing', 'history']).default('all'),
  limit: z.coerce.number().int().min(1).max(255).default(100),
});
const dryRun = { dry_run: z.boolean().default(false) };
export const EventsBulkIn = eventFilterBody(dryRun);
export const RequestsBulkIn = requestFilterBody(dryRun);

const parseCreate = {
  events(req: Request): [BulkFilter, boolean] {
    const p = body(req, EventsBulkIn);
    return [{ kind: 'events', filter: toEventFilter(p) }, p.dry_run];
  },
  requests(req: Request): [BulkFilter, boolean] {
    const p = body(req, RequestsBulkIn);
    return [{ kind: 'requests', filter: toRequestFilter(p) }, p.dry_run];
  },
};

/**
 * Seed 002's bulk operations: `/events/bulk_operations` retries the events matching the events
 * log's filters, `/requests/bulk_operations` replays the requests matching the requests log's.
 * Creating one answers at once; the work runs in the `bulk-operation` job (bulk-operations.job.ts).
 */
export function bulkOperationsRoutes(ops: Services['bulkOperations']): Router {
  const r = Router();

  for (const kind of ['events', 'requests'] as const satisfies readonly BulkKind[]) {
    const base = `/${kind}/bulk_operations`;
    r.get(base, async (req, res) => {
      const p = query(req, ListQuery);
      res.json(await ops.list(authOf(req).workspaceId, kind, p.bucket, p.limit));
    });
    r.post(base, async (req, res) => {
      const op = await ops.create(authOf(req).workspaceId, ...parseCreate[kind](req));
      res.status(op.dry_run ? 200 : 202).json(op);
    });
    r.get(`${base}/:id`, async (req, res) => {
      res.json(await ops.get(authOf(req).workspaceId, kind, idParam(req, 'bop', 'Bulk operation')));
    });
    r.post(`${base}/:id/cancel`, async (req, res) => {
      res.json(await ops.cancel(authOf(req).workspaceId, kind, idParam(req, 'bop', 'Bulk operation')));
    });
  }
  return r;
}
