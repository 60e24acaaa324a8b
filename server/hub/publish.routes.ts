import type { RequestHandler } from 'express';
import { authOf } from '../auth/auth.middleware.ts';
import { body } from '../core/validate.ts';
import type { Deps } from '../deps.ts';
import type { IngestWriter } from '../ingest/ingest-writer.ts';
import { PublishIn, publishService } from './publish.service.ts';

/**
 * `POST /publish` (scope `write`): the workspace's own application events enter the gateway here.
 * A handler, not a router: app.ts mounts it ahead of the API's other routers (publishChain).
 */
export function publishHandler(deps: Deps, writer: IngestWriter): RequestHandler {
  const svc = publishService(deps, writer);
  return async (req, res) => {
    const { eventId, replayed } = await svc.publish(authOf(req).workspaceId, body(req, PublishIn));
    // As Stripe does: a repeated idempotency key says that this answer is the first publish's.
    if (replayed) res.set('Idempotent-Replayed', 'true');
    res.status(202).json({ eventId });
  };
}
