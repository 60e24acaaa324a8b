import { randomBytes } from 'node:crypto';
import { type Kysely, sql, type Transaction } from 'kysely';
import { z } from 'zod';
import { AppError, notFound } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { listParams, paginate } from '../core/pagination.ts';
import type { ChatbotRow, ConversationRow, DB, KbEntryRow } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { DEFAULT_SETTINGS, mergeSettings, readSettings, SettingsIn } from './chatbot-settings.ts';

export const ChatbotIn = z
  .object({
    name: z.string().trim().min(1).max(155),
    welcome_message: z.string().trim().max(2000).default('Hi! How can I help you today?'),
    settings: SettingsIn.default({}),
  })
  .strict();
export const ChatbotPatch = z
  .object({
    name: z.string().trim().min(1).max(155),
    welcome_message: z.string().trim().max(2000),
    settings: SettingsIn,
  })
  .strict()
  .partial();

const Tag = z
  .string()
  .trim()
  .toLowerCase()
  .min(1)
  .max(64)
  .regex(/^[\p{L}\p{N}_.:\- ]+$/u, 'may contain letters, digits, spaces and _ . : -');
export const EntryIn = z
  .object({
    question: z.string().trim().min(1).max(1000),
    answer: z.string().trim().min(1).max(10_000),
    tags: z.array(Tag).max(20).default([]),
  })
  .strict();
// Without the default: zod 4 applies a default inside .partial(), so a PATCH without tags would
// have cleared them.
export const EntryPatch = EntryIn.extend({ tags: z.array(Tag).max(20) })
  .partial()
  .strict();
export type EntryInT = z.output<typeof EntryIn>;

export const ChatListQuery = z.object(listParams).strict();
export const ConversationListQuery = z
  .object({ ...listParams, order_by: z.enum(['started_at', 'last_message_at']).default('started_at'), visitor_id: z.string().max(255).optional() })
  .strict();
export const LeadListQuery = z.object({ ...listParams, order_by: z.enum(['lead_captured_at']).default('lead_captured_at') }).strict();

export const MAX_ENTRIES_PER_CHATBOT = 10_000;

export const newPublicKey = () => `pk_${randomBytes(24).toString('base64url')}`;

export function chatbotOut(row: ChatbotRow) {
  return {
    id: row.id,
    name: row.name,
    welcome_message: row.welcome_message,
    public_key: row.public_key,
    settings: readSettings(row.settings),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
export type ChatbotOut = ReturnType<typeof chatbotOut>;

export const entryOut = (e: KbEntryRow) => ({
  id: e.id,
  chatbot_id: e.chatbot_id,
  question: e.question,
  answer: e.answer,
  tags: e.tags,
  created_at: e.created_at,
  updated_at: e.updated_at,
});

export const conversationOut = (c: ConversationRow) => ({
  id: c.id,
  chatbot_id: c.chatbot_id,
  visitor_id: c.visitor_id,
  started_at: c.started_at,
  last_message_at: c.last_message_at,
  ended_at: c.ended_at,
  escalated_at: c.escalated_at,
  lead: { name: c.lead.name ?? null, email: c.lead.email ?? null, phone: c.lead.phone ?? null, intent: c.lead.intent ?? null },
  lead_captured_at: c.lead_captured_at,
  fallbacks: c.fallbacks,
  visitor_messages: c.visitor_messages,
});

/** The next search index must be built anew: every process compares this version with its cache. */
export async function touchKnowledgeBase(db: Kysely<DB> | Transaction<DB>, chatbotId: string): Promise<void> {
  await db.updateTable('chatbots').set({ kb_version: sql`kb_version + 1`, updated_at: sql`now()` }).where('id', '=', chatbotId).execute();
}

export function chatbotsService(deps: Pick<Deps, 'db'>) {
  const { db } = deps;

  async function row(ws: string, id: string): Promise<ChatbotRow> {
    const bot = await db.selectFrom('chatbots').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
    if (!bot) throw notFound('Chatbot', id);
    return bot;
  }

  async function entryCount(chatbotId: string): Promise<number> {
    const r = await db
      .selectFrom('kb_entries')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('chatbot_id', '=', chatbotId)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  function checkRoom(existing: number, adding: number) {
    if (existing + adding > MAX_ENTRIES_PER_CHATBOT) {
      throw new AppError(403, 'PLAN_LIMIT', `A chatbot holds at most ${MAX_ENTRIES_PER_CHATBOT} entries; it has ${existing} and ${adding} more were sent.`);
    }
  }

  async function insertEntries(trx: Transaction<DB>, bot: ChatbotRow, entries: EntryInT[]): Promise<KbEntryRow[]> {
    if (!entries.length) return [];
    const rows = await trx
      .insertInto('kb_entries')
      .values(
        entries.map((e) => ({ id: newId('kbe'), chatbot_id: bot.id, workspace_id: bot.workspace_id, question: e.question, answer: e.answer, tags: e.tags })),
      )
      .returningAll()
      .execute();
    await touchKnowledgeBase(trx, bot.id);
    return rows;
  }

  return {
    row,

    async list(ws: string, params: z.output<typeof ChatListQuery>) {
      const page = await paginate(db.selectFrom('chatbots').selectAll().where('workspace_id', '=', ws), params, params.order_by);
      return { ...page, models: page.models.map(chatbotOut) };
    },

    async get(ws: string, id: string): Promise<ChatbotOut> {
      return chatbotOut(await row(ws, id));
    },

    async create(ws: string, input: z.output<typeof ChatbotIn>): Promise<ChatbotOut> {
      const created = await db
        .insertInto('chatbots')
        .values({
          id: newId('bot'),
          workspace_id: ws,
          name: input.name,
          welcome_message: input.welcome_message,
          public_key: newPublicKey(),
          settings: JSON.stringify(mergeSettings(DEFAULT_SETTINGS, input.settings)),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return chatbotOut(created);
    },

    async update(ws: string, id: string, patch: z.output<typeof ChatbotPatch>): Promise<ChatbotOut> {
      const current = await row(ws, id);
      const updated = await db
        .updateTable('chatbots')
        .set({
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(patch.welcome_message !== undefined ? { welcome_message: patch.welcome_message } : {}),
          settings: JSON.stringify(mergeSettings(readSettings(current.settings), patch.settings)),
          updated_at: sql`now()`,
        })
        .where('id', '=', id)
        .where('workspace_id', '=', ws)
        .returningAll()
        .executeTakeFirst();
      if (!updated) throw notFound('Chatbot', id);
      return chatbotOut(updated);
    },

    async remove(ws: string, id: string): Promise<void> {
      const gone = await db.deleteFrom('chatbots').where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
      if (!gone.numDeletedRows) throw notFound('Chatbot', id);
    },

    /** The old key stops working at once: a widget embedded with it must be updated. */
    async rotateKey(ws: string, id: string): Promise<ChatbotOut> {
      const updated = await db
        .updateTable('chatbots')
        .set({ public_key: newPublicKey(), updated_at: sql`now()` })
        .where('workspace_id', '=', ws)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      if (!updated) throw notFound('Chatbot', id);
      return chatbotOut(updated);
    },

    async listEntries(ws: string, id: string, params: z.output<typeof ChatListQuery>) {
      await row(ws, id);
      const q = db.selectFrom('kb_entries').selectAll().where('chatbot_id', '=', id);
      const page = await paginate(
        q,
        { ...params, order_by: params.order_by === 'name' ? 'question' : params.order_by },
        params.order_by === 'name' ? 'question' : params.order_by,
      );
      return { ...page, models: page.models.map(entryOut) };
    },

    async addEntry(ws: string, id: string, input: EntryInT) {
      const bot = await row(ws, id);
      checkRoom(await entryCount(id), 1);
      const [created] = await db.transaction().execute((trx) => insertEntries(trx, bot, [input]));
      return entryOut(created);
    },

    async updateEntry(ws: string, id: string, entryId: string, patch: z.output<typeof EntryPatch>) {
      await row(ws, id);
      const updated = await db.transaction().execute(async (trx) => {
        const e = await trx
          .updateTable('kb_entries')
          .set({ ...patch, updated_at: sql`now()` })
          .where('chatbot_id', '=', id)
          .where('id', '=', entryId)
          .returningAll()
          .executeTakeFirst();
        if (e) await touchKnowledgeBase(trx, id);
        return e;
      });
      if (!updated) throw notFound('Entry', entryId);
      return entryOut(updated);
    },

    async removeEntry(ws: string, id: string, entryId: string): Promise<void> {
      await row(ws, id);
      const gone = await db.transaction().execute(async (trx) => {
        const r = await trx.deleteFrom('kb_entries').where('chatbot_id', '=', id).where('id', '=', entryId).executeTakeFirst();
        if (r.numDeletedRows) await touchKnowledgeBase(trx, id);
        return r.numDeletedRows > 0n;
      });
      if (!gone) throw notFound('Entry', entryId);
    },

    /** All or nothing: a bad row refuses the whole import. `replace` swaps the knowledge base in one transaction. */
    async importEntries(ws: string, id: string, entries: EntryInT[], replace: boolean) {
      const bot = await row(ws, id);
      checkRoom(replace ? 0 : await entryCount(id), entries.length);
      const result = await db.transaction().execute(async (trx) => {
        const removed = replace ? Number((await trx.deleteFrom('kb_entries').where('chatbot_id', '=', id).executeTakeFirst()).numDeletedRows) : 0;
        const created = await insertEntries(trx, bot, entries);
        if (replace && !created.length) await touchKnowledgeBase(trx, id);
        return { removed, created };
      });
      return { imported: result.created.length, removed: result.removed, entries: result.created.map(entryOut) };
    },

    async listConversations(ws: string, id: string, params: z.output<typeof ConversationListQuery>) {
      await row(ws, id);
      let q = db.selectFrom('conversations').selectAll().where('chatbot_id', '=', id);
      if (params.visitor_id) q = q.where('visitor_id', '=', params.visitor_id);
      const page = await paginate(q, params, params.order_by);
      return { ...page, models: page.models.map(conversationOut) };
    },

    /** The conversation with every message; a bot message carries its rating (the latest, if several visitors rated it). */
    async transcript(ws: string, id: string, conversationId: string) {
      await row(ws, id);
      const conv = await db.selectFrom('conversations').selectAll().where('chatbot_id', '=', id).where('id', '=', conversationId).executeTakeFirst();
      if (!conv) throw notFound('Conversation', conversationId);
      const messages = await db.selectFrom('chat_messages').selectAll().where('conversation_id', '=', conv.id).orderBy('created_at').orderBy('id').execute();
      const ratings = await db.selectFrom('message_ratings').selectAll().where('conversation_id', '=', conv.id).orderBy('updated_at').execute();
      const rated = new Map(ratings.map((r) => [r.message_id, r]));
      const entryIds = [...new Set(messages.flatMap((m) => m.entry_ids))];
      const entries = entryIds.length ? await db.selectFrom('kb_entries').select(['id', 'question']).where('id', 'in', entryIds).execute() : [];
      const questions = new Map(entries.map((e) => [e.id, e.question]));
      return {
        ...conversationOut(conv),
        messages: messages.map((m) => {
          const r = rated.get(m.id);
          return {
            id: m.id,
            role: m.role,
            text: m.text,
            created_at: m.created_at,
            ...(m.role === 'bot'
              ? {
                  fallback: m.fallback,
                  sources: m.entry_ids.map((e) => ({ id: e, question: questions.get(e) ?? null })),
                  rating: r ? { rating: r.rating, comment: r.comment, visitor_id: r.visitor_id, rated_at: r.updated_at } : null,
                }
              : {}),
          };
        }),
      };
    },

    async listLeads(ws: string, id: string, params: z.output<typeof LeadListQuery>) {
      await row(ws, id);
      const q = db.selectFrom('conversations').selectAll().where('chatbot_id', '=', id).where('lead_captured_at', 'is not', null);
      const page = await paginate(q, params, 'lead_captured_at');
      return {
        ...page,
        models: page.models.map((c) => ({
          id: c.id,
          conversation_id: c.id,
          visitor_id: c.visitor_id,
          name: c.lead.name ?? null,
          email: c.lead.email ?? null,
          phone: c.lead.phone ?? null,
          intent: c.lead.intent ?? null,
          captured_at: c.lead_captured_at,
        })),
      };
    },
  };
}
