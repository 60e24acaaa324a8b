import { Router, type RequestHandler } from 'express';
import { body, idParam } from '../core/validate.ts';
import type { Deps } from '../deps.ts';
import { requireSession } from './auth.middleware.ts';
import { MemberPatch, TeamIn, teamPatch, teamPut } from './teams.service.ts';
import type { Services } from '../services.ts';

/**
 * Teams (workspaces) and their members. Each route checks the caller's membership in the team of
 * its path, whatever x-team-id says; they are a person's business, so they need a user session.
 */
export function teamRoutes(deps: Deps, teams: Services['teams']): Router {
  const r = Router();
  const teamId = (req: Parameters<RequestHandler>[0]) => idParam(req, 'tm', 'Team');

  r.get('/teams', async (req, res) => {
    res.json(await teams.list(requireSession(req).userId));
  });
  r.post('/teams', async (req, res) => {
    const a = requireSession(req);
    res.status(201).json(await teams.create(a.userId, body(req, TeamIn).name));
  });
  r.get('/teams/:id', async (req, res) => {
    res.json(await teams.team(requireSession(req).userId, teamId(req)));
  });
  // A team's name and log retention; the hub's retention bounds the team's (read per call: tests change it).
  const update =
    (schema: typeof teamPatch | typeof teamPut): RequestHandler =>
    async (req, res) => {
      const a = requireSession(req);
      const id = teamId(req);
      res.json(await teams.update(a.userId, id, body(req, schema(deps.config.retentionDays))));
    };
  r.patch('/teams/:id', update(teamPatch));
  r.put('/teams/:id', update(teamPut));

  r.get('/teams/:id/members', async (req, res) => {
    res.json(await teams.members(requireSession(req).userId, teamId(req)));
  });
  r.patch('/teams/:id/members/:userId', async (req, res) => {
    const a = requireSession(req);
    const id = teamId(req);
    const user = idParam(req, 'usr', 'User', 'userId');
    res.json(await teams.setRole(a.userId, id, user, body(req, MemberPatch).role));
  });
  r.delete('/teams/:id/members/:userId', async (req, res) => {
    const a = requireSession(req);
    const id = teamId(req);
    res.json(await teams.remove(a.userId, id, idParam(req, 'usr', 'User', 'userId')));
  });
  return r;
}
