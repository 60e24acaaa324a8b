import { sql } from 'kysely';
import { AppError } from '../core/errors.ts';
import type { ChatbotRow } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { originAllowed, readSettings } from './chatbot-settings.ts';
import { originNotAllowed } from './cors.ts';

// Chatbots as the public widget finds them: by their public key, not their team.

const PUBLIC_KEY = /^pk_[A-Za-z0-9_-]{1,100}$/;

const unknownKey = () =>
  new AppError(404, 'NOT_FOUND', 'No chatbot has this public key; check data-chatbot in the embed snippet (the key may have been rotated).');

export async function chatbotByKey(deps: Pick<Deps, 'db'>, key: string): Promise<ChatbotRow> {
  const bot = await deps.db.selectFrom('chatbots').selectAll().where('public_key', '=', key).executeTakeFirst();
  if (!bot)
    throw new AppError(404, 'NOT_FOUND', 'No chatbot has this public key (it may have been rotated).', [{ path: 'body.chatbot_key', message: 'unknown key' }]);
  return bot;
}

/** Whether some chatbot answers pages on this origin (a preflight that names no chatbot). */
export async function someChatbotAllows(deps: Pick<Deps, 'db'>, origin: string): Promise<boolean> {
  const some = await deps.db
    .selectFrom('chatbots')
    .select('id')
    .where(sql<boolean>`settings->'allowed_origins' @> ${JSON.stringify([origin])}::jsonb OR settings->'allowed_origins' @> '["*"]'::jsonb`)
    .limit(1)
    .executeTakeFirst();
  return !!some;
}

/** What the widget shows before the first message; `origin`: the page's, when a browser asks. */
export async function publicChatbotInfo(deps: Pick<Deps, 'db'>, key: string, origin: string | undefined): Promise<{ name: string; welcome_message: string }> {
  if (!PUBLIC_KEY.test(key)) throw unknownKey();
  const bot = await deps.db.selectFrom('chatbots').select(['name', 'welcome_message', 'settings']).where('public_key', '=', key).executeTakeFirst();
  if (!bot) throw unknownKey();
  // No Origin: not a browser page (curl, a server), which CORS does not concern.
  if (origin && !originAllowed(readSettings(bot.settings), origin)) throw originNotAllowed(origin);
  return { name: bot.name, welcome_message: bot.welcome_message };
}
