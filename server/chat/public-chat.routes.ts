import express, { Router, type RequestHandler } from 'express';
import { refuseDeepJson } from '../core/json-depth.ts';
import { refuseNul } from '../core/nul.ts';
import { parse } from '../core/validate.ts';
import { readSettings, originAllowed } from './chatbot-settings.ts';
import type { ChatDeps } from './chat-deps.ts';
import { allowOrigin, answerPreflight } from './cors.ts';
import { chatbotByKey, someChatbotAllows } from './public-chatbots.service.ts';
import { countChatMessage } from './rate-limit.ts';
import { handleVisitorMessage, SystemChatIn } from './system-chat.service.ts';

/**
 * JSON, or JSON sent as text/plain: a widget may send the latter to spare the browser a preflight
 * round trip (a "simple" cross-origin request). These routes sit outside /api, so they refuse a NUL
 * character themselves.
 */
export const publicJson: [RequestHandler, RequestHandler] = [
  express.json({ limit: '64kb', type: ['application/json', 'application/*+json', 'text/plain'], verify: refuseDeepJson }),
  refuseNul(),
];

/** The first language of an Accept-Language header (`en-US,en;q=0.9` → en-US), if it is a plain tag. */
export function headerLocale(header: string | undefined): string | undefined {
  const first = header?.split(',')[0]?.split(';')[0]?.trim();
  return first && SystemChatIn.shape.locale.safeParse(first).success ? first : undefined;
}

/** The public chat endpoint (seed 004): no API key; the chatbot's public key says whose it is. */
export function publicChatRoutes(deps: ChatDeps): Router {
  const r = Router();

  // The preflight carries no body: with ?chatbot_key= it is answered for that chatbot, otherwise for
  // an origin some chatbot allows. The POST itself is then checked against its own chatbot.
  r.options('/api/public/system-chat', refuseNul(), async (req, res) => {
    const origin = req.get('origin') ?? '';
    const key = typeof req.query.chatbot_key === 'string' ? req.query.chatbot_key : undefined;
    const allowed = key ? originAllowed(readSettings((await chatbotByKey(deps, key)).settings), origin) : await someChatbotAllows(deps, origin);
    answerPreflight(req, res, allowed);
  });

  r.post('/api/public/system-chat', ...publicJson, async (req, res) => {
    // No body reads as {}, so that every missing field is named.
    const raw: unknown = req.body ?? {};
    const key = (raw as { chatbot_key?: unknown } | undefined)?.chatbot_key;
    if (typeof key !== 'string') parse(SystemChatIn, raw, 'body'); // names every bad field
    const bot = await chatbotByKey(deps, key as string);
    allowOrigin(req, res, readSettings(bot.settings));
    const input = parse(SystemChatIn, raw, 'body');
    await countChatMessage(deps.db, bot, input.visitor_id, req.ip ?? req.socket.remoteAddress ?? 'unknown');
    // A client that does not send `locale` (not our widget) still tells its language in the header.
    res.json(await handleVisitorMessage(deps, bot, { ...input, locale: input.locale ?? headerLocale(req.get('accept-language')) }));
  });
  return r;
}
