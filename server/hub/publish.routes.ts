import { Router } from 'express';
import { authOf } from '../auth/auth.middleware.ts';
import { body } from '../core/validate.ts';
import type { Deps } from '../deps.ts';
import type { IngestWriter } from '../ingest/ingest-writer.ts';
import { PublishIn, publishService } from './publish.service.ts';

/** `POST /publish` (scope `write`): the workspace's own application events enter the gateway here. */
export function publishRoutes(deps: Deps, writer: IngestWriter): Router {
  const r = Router();
  const svc = publishService(deps, writer);
  r.post('/publish', async (req, res) => {
    const { eventId, replayed } = await svc.publish(authOf(req).workspaceId, body(req, PublishIn));
    // As Stripe does: a repeated idempotency key says that this answer is the first publish's.
    if (replayed) res.set('Idempotent-Replayed', 'true');
    res.status(202).json({ eventId });
  });
  return r;
}
