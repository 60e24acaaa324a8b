import { Router, type Request, type RequestHandler } from 'express';
import { authOf } from '../auth/auth.middleware.ts';
import { body, idParam, query } from '../core/validate.ts';
import { ChatbotIn, ChatbotPatch, ChatListQuery, ConversationListQuery, EntryIn, EntryPatch, LeadListQuery } from './chatbots.service.ts';
import { ImportIn, planImport } from './kb-import.ts';
import type { Services } from '../services.ts';

/** Chatbots, their knowledge base, conversations and leads (management API, scopes read/write). */
export function chatbotsRoutes(svc: Services['chatbots']): Router {
  const r = Router();
  const ws = (req: Request) => authOf(req).workspaceId;
  const id = (req: Request) => idParam(req, 'bot', 'Chatbot');
  const entryId = (req: Request) => idParam(req, 'kbe', 'Entry', 'entryId');
  const conversationId = (req: Request) => idParam(req, 'conv', 'Conversation', 'conversationId');

  r.get('/chatbots', async (req, res) => {
    res.json(await svc.list(ws(req), query(req, ChatListQuery)));
  });
  r.post('/chatbots', async (req, res) => {
    res.status(201).json(await svc.create(ws(req), body(req, ChatbotIn)));
  });
  r.get('/chatbots/:id', async (req, res) => {
    res.json(await svc.get(ws(req), id(req)));
  });
  const update: RequestHandler = async (req, res) => {
    res.json(await svc.update(ws(req), id(req), body(req, ChatbotPatch)));
  };
  r.patch('/chatbots/:id', update);
  r.put('/chatbots/:id', update);
  r.delete('/chatbots/:id', async (req, res) => {
    const botId = id(req);
    await svc.remove(ws(req), botId);
    res.json({ id: botId, deleted: true });
  });
  r.post('/chatbots/:id/rotate-key', async (req, res) => {
    res.json(await svc.rotateKey(ws(req), id(req)));
  });

  r.get('/chatbots/:id/entries', async (req, res) => {
    res.json(await svc.listEntries(ws(req), id(req), query(req, ChatListQuery)));
  });
  r.post('/chatbots/:id/entries', async (req, res) => {
    res.status(201).json(await svc.addEntry(ws(req), id(req), body(req, EntryIn)));
  });
  // Before /entries/:entryId, which would read "import" as an id.
  r.post('/chatbots/:id/entries/import', async (req, res) => {
    const botId = id(req);
    const plan = planImport(body(req, ImportIn));
    res.status(201).json(await svc.importEntries(ws(req), botId, plan.entries, plan.replace));
  });
  const updateEntry: RequestHandler = async (req, res) => {
    res.json(await svc.updateEntry(ws(req), id(req), entryId(req), body(req, EntryPatch)));
  };
  r.patch('/chatbots/:id/entries/:entryId', updateEntry);
  r.put('/chatbots/:id/entries/:entryId', updateEntry);
  r.delete('/chatbots/:id/entries/:entryId', async (req, res) => {
    const e = entryId(req);
    await svc.removeEntry(ws(req), id(req), e);
    res.json({ id: e, deleted: true });
  });

  r.get('/chatbots/:id/conversations', async (req, res) => {
    res.json(await svc.listConversations(ws(req), id(req), query(req, ConversationListQuery)));
  });
  r.get('/chatbots/:id/conversations/:conversationId', async (req, res) => {
    res.json(await svc.transcript(ws(req), id(req), conversationId(req)));
  });
  r.get('/chatbots/:id/leads', async (req, res) => {
    res.json(await svc.listLeads(ws(req), id(req), query(req, LeadListQuery)));
  });
  return r;
}
