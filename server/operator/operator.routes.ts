import { timingSafeEqual } from 'node:crypto';
import { Router, type Request, type RequestHandler } from 'express';
import { sha256 } from '../core/crypto.ts';
import { AppError } from '../core/errors.ts';
import { body, idParam } from '../core/validate.ts';
import type { Deps } from '../deps.ts';
import { QuotaPatch } from './quotas.service.ts';
import type { Services } from '../services.ts';

/**
 * The operator API: whoever runs the hub, not a team's member, sets each team's quotas. Its
 * credential is WIREHUB_OPERATOR_TOKEN, apart from every session and API key (none of which can
 * reach it); unset, the API is off. `server/admin.ts` does the same from a shell.
 */
export function operatorRoutes(deps: Deps, quotas: Services['quotas']): Router {
  const r = Router();
  const expected = deps.config.operatorToken ? sha256(deps.config.operatorToken) : null;

  const operatorOnly: RequestHandler = (req, _res, next) => {
    if (!expected) throw new AppError(404, 'NOT_FOUND', 'The operator API is off: set WIREHUB_OPERATOR_TOKEN to turn it on.');
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    // Compared as digests, in constant time: the token's length gives nothing away either.
    if (!m || !timingSafeEqual(sha256(m[1]), expected))
      throw new AppError(401, 'UNAUTHORIZED', 'The operator API takes "Authorization: Bearer <WIREHUB_OPERATOR_TOKEN>".');
    next();
  };
  r.use('/operator', operatorOnly);

  const team = (req: Request) => idParam(req, 'tm', 'Team');
  r.get('/operator/quotas', async (_req, res) => {
    const models = await quotas.list();
    res.json({ models, count: models.length });
  });
  r.get('/operator/teams/:id/quota', async (req, res) => {
    res.json(await quotas.get(team(req)));
  });
  const set: RequestHandler = async (req, res) => {
    const out = await quotas.set(team(req), body(req, QuotaPatch));
    // This process applies it at once; other API processes at their next read (a few seconds).
    await deps.eventQuotas.changed();
    res.json(out);
  };
  r.put('/operator/teams/:id/quota', set);
  r.patch('/operator/teams/:id/quota', set);
  r.use('/operator', (req, _res, next) => next(new AppError(404, 'NOT_FOUND', `No route for ${req.method} ${req.originalUrl.split('?')[0]}`)));
  return r;
}
