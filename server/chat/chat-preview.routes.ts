import { Router } from 'express';
import { z } from 'zod';
import { authOf } from '../auth/auth.middleware.ts';
import { body, idParam } from '../core/validate.ts';
import type { ChatDeps } from './chat-deps.ts';
import { handleVisitorMessage, MAX_MESSAGE_CHARS, SystemChatIn } from './system-chat.service.ts';
import type { Services } from '../services.ts';

export const PreviewChatIn = z
  .object({
    message: z.string().trim().min(1).max(MAX_MESSAGE_CHARS),
    conversation_id: z.string().max(64).nullish(),
    locale: SystemChatIn.shape.locale,
  })
  .strict();

/**
 * "Try it" on the chatbot's page: the portal chats with the bot as a visitor would, without hosting
 * the widget on a page of an allowed origin. It runs the public chat's own handler, so leads and
 * events are real; the conversation's visitor is the portal user (`portal-preview:<user>`), and the
 * chatbot is looked up in the caller's own workspace.
 */
export function chatPreviewRoutes(deps: ChatDeps, chatbots: Services['chatbots']): Router {
  const r = Router();
  r.post('/chatbots/:id/preview-chat', async (req, res) => {
    const auth = authOf(req);
    const botId = idParam(req, 'bot', 'Chatbot');
    const input = body(req, PreviewChatIn);
    const bot = await chatbots.row(auth.workspaceId, botId);
    const visitor = `portal-preview:${auth.actsFor ?? auth.apiKeyId ?? 'project'}`;
    res.json(
      await handleVisitorMessage(deps, bot, {
        chatbot_key: bot.public_key,
        visitor_id: visitor,
        conversation_id: input.conversation_id,
        message: input.message,
        locale: input.locale,
      }),
    );
  });
  return r;
}
