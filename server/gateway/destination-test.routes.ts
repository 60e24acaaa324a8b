import { Router } from 'express';
import { authOf } from '../auth/auth.middleware.ts';
import { idParam } from '../core/validate.ts';
import type { Deps } from '../deps.ts';
import { testDestination } from './destination-test.service.ts';

/** `POST /destinations/:id/test`: the connector checks its credentials and target (destination-test.service.ts). */
export function destinationTestRoutes(deps: Deps): Router {
  const r = Router();
  r.post('/destinations/:id/test', async (req, res) => {
    res.json(await testDestination(deps, authOf(req).workspaceId, idParam(req, 'des', 'Destination')));
  });
  return r;
}
