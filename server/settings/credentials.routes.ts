import { Router, type Request, type RequestHandler } from 'express';
import { authOf } from '../auth/auth.middleware.ts';
import { requireSecretsManager } from '../auth/privileges.ts';
import { body, idParam, query } from '../core/validate.ts';
import type { Deps } from '../deps.ts';
import type { GoogleOAuthGrant } from '../../connectors/google-sheets/config.ts';
import { CredentialIn, CredentialPatch, CredentialsQuery } from './credentials.service.ts';
import type { Services } from '../services.ts';

/**
 * `/credentials`: the workspace's saved vendor credentials (Settings). Responses never carry a
 * secret. Saving, replacing or deleting one is managing a workspace credential (privileges.ts): a
 * plain member who could replace the CRM token would have every destination using it deliver the
 * team's leads into their own CRM account.
 */
export function credentialsRoutes(deps: Deps, { credentials: svc, googleOAuth }: Pick<Services, 'credentials' | 'googleOAuth'>): Router {
  const r = Router();
  const ws = (req: Request) => authOf(req).workspaceId;
  const id = (req: Request) => idParam(req, 'cred', 'Credential');

  r.get('/credentials', async (req, res) => {
    const models = await svc.list(ws(req), query(req, CredentialsQuery).kind);
    res.json({ models, count: models.length });
  });
  r.post('/credentials', async (req, res) => {
    requireSecretsManager(req, 'save workspace credentials');
    res.status(201).json(await svc.create(ws(req), body(req, CredentialIn)));
  });
  r.get('/credentials/:id', async (req, res) => {
    res.json(await svc.get(ws(req), id(req)));
  });
  const update: RequestHandler = async (req, res) => {
    requireSecretsManager(req, 'replace workspace credentials');
    res.json(await svc.update(ws(req), id(req), body(req, CredentialPatch)));
  };
  r.put('/credentials/:id', update);
  r.patch('/credentials/:id', update);
  r.delete('/credentials/:id', async (req, res) => {
    requireSecretsManager(req, 'delete workspace credentials');
    const credentialId = id(req);
    const row = await svc.remove(ws(req), credentialId);
    // A Google account signed in with is disconnected at Google too: its refresh token stops working everywhere.
    if (row.kind === 'google-oauth') {
      const revoked = await googleOAuth.revoke(deps.box.openJson<GoogleOAuthGrant>(row.secret_enc));
      res.json({ id: credentialId, deleted: true, revoked });
      return;
    }
    res.json({ id: credentialId, deleted: true });
  });
  return r;
}
