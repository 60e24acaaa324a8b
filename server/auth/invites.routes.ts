import { Router } from 'express';
import { body, idParam } from '../core/validate.ts';
import { requireSession } from './auth.middleware.ts';
import { InviteIn } from './invites.service.ts';
import type { Services } from '../services.ts';

/** Public: the invite page reads who invited whom to which team before the visitor signs in. */
export function publicInviteRoutes(invites: Services['invites']): Router {
  const r = Router();
  r.get('/invites/:token', async (req, res) => {
    res.set('Cache-Control', 'no-store');
    res.json(await invites.preview(req.params.token));
  });
  return r;
}

/** Sending, listing and revoking a team's invites (owners and admins), and accepting one (the invited user). */
export function inviteRoutes(invites: Services['invites']): Router {
  const r = Router();
  r.post('/teams/:id/invites', async (req, res) => {
    const a = requireSession(req);
    const team = idParam(req, 'tm', 'Team');
    res.status(201).json(await invites.create(a.userId, team, body(req, InviteIn)));
  });
  r.get('/teams/:id/invites', async (req, res) => {
    res.json(await invites.list(requireSession(req).userId, idParam(req, 'tm', 'Team')));
  });
  r.delete('/teams/:id/invites/:inviteId', async (req, res) => {
    const a = requireSession(req);
    const team = idParam(req, 'tm', 'Team');
    res.json(await invites.revoke(a.userId, team, idParam(req, 'inv', 'Invite', 'inviteId')));
  });
  r.post('/invites/:token/accept', async (req, res) => {
    res.json(await invites.accept(requireSession(req).userId, req.params.token));
  });
  return r;
}
