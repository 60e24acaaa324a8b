import { Router } from 'express';
import type { Deps } from '../deps.ts';
import { setCorsHeaders } from './cors.ts';
import { publicChatbotInfo } from './public-chatbots.service.ts';

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
    const info = await publicChatbotInfo(deps, req.params.public_key, origin);
    res.set('Cache-Control', 'no-cache');
    res.json(info);
  });
  return r;
}
