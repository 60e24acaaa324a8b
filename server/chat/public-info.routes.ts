import { Router } from 'express';
import type { Deps } from '../deps.ts';
import { AppError } from '../core/errors.ts';
import { originAllowed, readSettings } from './chatbot-settings.ts';
import { originNotAllowed, setCorsHeaders } from './cors.ts';

const PUBLIC_KEY = /^pk_[A-Za-z0-9_-]{1,100}$/;

const unknownKey = () => new AppError(404, 'NOT_FOUND', 'No chatbot has this public key; check data-chatbot in the embed snippet (the key may have been rotated).');

/**
 * `GET /api/public/chatbots/:public_key` → `{name, welcome_message}`: what the widget shows before
 * the first message. A refusal still carries the caller's origin in Access-Control-Allow-Origin,
 * so the widget can read *why* (ORIGIN_NOT_ALLOWED) and say so, instead of seeing a bare network
 * failure; it reveals nothing but the refusal itself.
 */
export function publicInfoRoutes(deps: Pick<Deps, 'db'>): Router {
  const r = Router();
  r.get('/public/chatbots/:public_key', async (req, res) => {
    const origin = req.get('origin');
    if (origin) setCorsHeaders(res, origin);
    else res.vary('Origin');
    const key = req.params.public_key;
    if (!PUBLIC_KEY.test(key)) throw unknownKey();
    const bot = await deps.db.selectFrom('chatbots').select(['name', 'welcome_message', 'settings']).where('public_key', '=', key).executeTakeFirst();
    if (!bot) throw unknownKey();
    // No Origin: not a browser page (curl, a server), which CORS does not concern.
    if (origin && !originAllowed(readSettings(bot.settings), origin)) throw originNotAllowed(origin);
    res.set('Cache-Control', 'no-cache');
    res.json({ name: bot.name, welcome_message: bot.welcome_message });
  });
  return r;
}

