import { Router } from 'express';
import { idParam, parse } from '../core/validate.ts';
import { originAllowed } from './chatbot-settings.ts';
import type { ChatDeps } from './chat-deps.ts';
import { allowOrigin, answerPreflight } from './cors.ts';
import { publicJson } from './public-chat.routes.ts';
import { countRatingFromAddress } from './rate-limit.ts';
import { conversationForRating, RateIn, rateMessage } from './ratings.service.ts';

const PATH = '/api/public/conversations/:id/rate';

/**
 * `POST /api/public/conversations/:id/rate` `{message_id, rating, comment?, visitor_id}` →
 * `{message_id, rating, updated}`. Public like the chat itself: the conversation id says which
 * chatbot, and CORS answers only that chatbot's allowed origins. Counted against the chatbot's
 * rate limits per visitor and per address, in windows apart from the messages'.
 */
export function ratingsRoutes(deps: ChatDeps): Router {
  const r = Router();
  r.options(PATH, async (req, res) => {
    const conv = await conversationForRating(deps, idParam(req, 'conv', 'Conversation'));
    answerPreflight(req, res, originAllowed(conv.settings, req.get('origin') ?? ''));
  });
  r.post(PATH, ...publicJson, async (req, res) => {
    const conv = await conversationForRating(deps, idParam(req, 'conv', 'Conversation'));
    allowOrigin(req, res, conv.settings);
    // No body reads as {}, so that every missing field is named.
    const input = parse(RateIn, req.body ?? {}, 'body');
    await countRatingFromAddress(deps.db, { id: conv.chatbot_id, settings: conv.settings }, req.ip ?? req.socket.remoteAddress ?? 'unknown');
    res.json(await rateMessage(deps, conv, input));
  });
  return r;
}
