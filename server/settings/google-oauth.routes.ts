import { createHash } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { authOf } from '../auth/auth.middleware.ts';
import { requireSecretsManager } from '../auth/privileges.ts';
import { AppError } from '../core/errors.ts';
import { idParam, parse, query } from '../core/validate.ts';
import type { Deps } from '../deps.ts';
import { ColumnsQuery, SpreadsheetIdParam, SpreadsheetsQuery } from './google-files.ts';
import { BROWSER_COOKIE, CALLBACK_PATH, STATE_TTL_MS } from './google-oauth.service.ts';
import type { Services } from '../services.ts';

const CallbackQuery = z.object({
  state: z.string().max(200).optional(),
  code: z.string().max(2048).optional(),
  error: z.string().max(200).optional(),
});

/**
 * The page Google sends the pop-up back to tells the portal's window (opener and a
 * BroadcastChannel, for when Google's pages cut the opener) and closes itself; without script it
 * reads as a sentence. Its data is JSON in a non-executed element; the script is fixed, allowed by
 * its hash alone.
 */
const SCRIPT = `(function(){var d=JSON.parse(document.getElementById('result').textContent);try{new BroadcastChannel('wirehub-google-oauth').postMessage(d)}catch(e){}try{if(window.opener)window.opener.postMessage(d,location.origin)}catch(e){}if(d.ok&&window.opener)setTimeout(function(){window.close()},300)})();`;
const SCRIPT_HASH = `'sha256-${createHash('sha256').update(SCRIPT).digest('base64')}'`;

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function resultPage(res: Response, status: number, result: { ok: boolean; credential_id?: string; email?: string; message: string }) {
  // `<` escaped, so the JSON cannot close its element whatever Google or an attacker put in it.
  const json = JSON.stringify({ type: 'wirehub-google-oauth', ...result }).replace(/</g, '\\u003c');
  res
    .status(status)
    .set({
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      // Its own policy: this one script, nothing else. unsafe-none keeps the pop-up's opener, which Google's pages leave alone.
      'Content-Security-Policy': `default-src 'none'; script-src ${SCRIPT_HASH}; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
      'Cross-Origin-Opener-Policy': 'unsafe-none',
      'Referrer-Policy': 'no-referrer',
    })
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Google Sheets – Wirehub</title></head>` +
        `<body style="font:16px system-ui,sans-serif;margin:3em auto;max-width:32em"><h1 style="font-size:1.3em">${result.ok ? 'Google account connected' : 'Google account not connected'}</h1>` +
        `<p data-testid="oauth-result">${escapeHtml(result.message)}</p><p>You can close this window and go back to Wirehub.</p>` +
        `<script type="application/json" id="result">${json}</script><script>${SCRIPT}</script></body></html>`,
    );
}

function cookieOf(req: Request, name: string): string | undefined {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return undefined;
}

/** Public: where Google sends the browser back (no Authorization header comes with it). */
export function googleOAuthCallbackRoutes(svc: Services['googleOAuth']): Router {
  const r = Router();
  r.get(CALLBACK_PATH.replace('/api/v1', ''), async (req, res) => {
    // The cookie did its one job: gone whatever the outcome.
    res.append('Set-Cookie', `${BROWSER_COOKIE}=; Path=${CALLBACK_PATH}; Max-Age=0; HttpOnly; SameSite=Lax`);
    try {
      const input = parse(CallbackQuery, req.query, 'query');
      const saved = await svc.finish(input, cookieOf(req, BROWSER_COOKIE));
      resultPage(res, 200, {
        ok: true,
        credential_id: saved.id,
        email: saved.google_account,
        message: `Connected ${saved.google_account}: Google Sheet steps can now write rows as this account.`,
      });
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      resultPage(res, err.status, { ok: false, message: err.message });
    }
  });
  return r;
}

/** `/google/oauth`: whether Sign in with Google is set up, starting it; and the pickers' lists of a connected account. */
export function googleOAuthRoutes(deps: Deps, { googleOAuth: svc, googleFiles: files }: Pick<Services, 'googleOAuth' | 'googleFiles'>): Router {
  const r = Router();
  const ws = (req: Request) => authOf(req).workspaceId;
  const credentialId = (req: Request) => idParam(req, 'cred', 'Credential');
  const spreadsheetId = (req: Request) => parse(z.object({ spreadsheetId: SpreadsheetIdParam }), req.params, 'params').spreadsheetId;

  r.get('/google/oauth', (_req, res) => {
    res.json(svc.status());
  });
  r.post('/google/oauth/start', async (req, res) => {
    const caller = requireSecretsManager(req, 'connect a Google account');
    const started = await svc.start(caller);
    const secure = deps.config.publicUrl.startsWith('https:') ? '; Secure' : '';
    // SameSite=Lax: sent on Google's top-level redirect back to the callback, not on other sites' subrequests.
    res.append(
      'Set-Cookie',
      `${BROWSER_COOKIE}=${encodeURIComponent(started.browserNonce)}; Path=${CALLBACK_PATH}; Max-Age=${STATE_TTL_MS / 1000}; HttpOnly; SameSite=Lax${secure}`,
    );
    res.status(201).json({ authorize_url: started.authorize_url, expires_at: started.expires_at });
  });
  r.get('/credentials/:id/spreadsheets', async (req, res) => {
    const models = await files.spreadsheets(ws(req), credentialId(req), query(req, SpreadsheetsQuery).q);
    res.json({ models, count: models.length });
  });
  r.get('/credentials/:id/spreadsheets/:spreadsheetId', async (req, res) => {
    res.json(await files.sheets(ws(req), credentialId(req), spreadsheetId(req)));
  });
  r.get('/credentials/:id/spreadsheets/:spreadsheetId/columns', async (req, res) => {
    res.json(await files.columns(ws(req), credentialId(req), spreadsheetId(req), query(req, ColumnsQuery).sheet));
  });
  return r;
}
