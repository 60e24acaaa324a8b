import type { AuthContext } from './auth.middleware.ts';
import type { EntryInT } from '../chat/chatbots.service.ts';
import type { ChatDeps } from '../chat/chat-deps.ts';
import { handleVisitorMessage } from '../chat/system-chat.service.ts';
import { isUniqueViolation } from '../db/errors.ts';
import { DestinationIn } from '../gateway/destinations.service.ts';
import type { FlowGraphT } from '../../shared/flow-graph.ts';
import { flowTemplate } from '../../shared/flow-templates.ts';
import type { Services } from '../services.ts';

/** What filling the demo workspace uses of the domain services. */
export type DemoServices = Pick<Services, 'flows' | 'destinations' | 'chatbots'>;

/**
 * What the demo workspace holds, so that a first visit shows a hub at work rather than empty pages:
 * a chatbot with a small knowledge base, flows to the built-in Test receiver (deliveries succeed
 * with no internet), one flow to a receiver that always answers 500 (a failure to look at), and
 * recent events made by chatting with the bot through the real pipeline. Everything is found by
 * name first, so a demo workspace made by an older version is completed, and a user's deletions
 * come back at the next demo login.
 */
export const DEMO = {
  chatbot: 'Acme Plumbing Bot',
  receiver: 'Test receiver',
  failing: 'Helpdesk - always answers 500',
  flows: { leads: 'Chat leads to Test receiver', escalations: 'Escalations to helpdesk', alert: 'Alert on failed deliveries' },
} as const;

const KNOWLEDGE: EntryInT[] = [
  {
    question: 'What are your opening hours?',
    answer: 'We are open Monday to Friday 8am–6pm and Saturday 9am–1pm. Emergencies are answered 24/7.',
    tags: ['hours'],
  },
  {
    question: 'How much does a drain cleaning cost?',
    answer: 'A standard drain cleaning is $149, call-out included. Blocked main lines are quoted on site.',
    tags: ['intent:request_quote'],
  },
  {
    question: 'Do you work on weekends?',
    answer: 'Yes: Saturday mornings for regular jobs, and every day for emergencies such as burst pipes.',
    tags: ['hours'],
  },
  { question: 'Which areas do you serve?', answer: 'San Francisco, Oakland and the whole East Bay.', tags: ['area'] },
  {
    question: 'Can I book an appointment?',
    answer: 'Of course. Leave your name, e-mail and phone number and we will call you back to fix a time.',
    tags: ['intent:book_appointment'],
  },
  { question: 'Do you fix water heaters?', answer: 'Yes, we repair and install gas and electric water heaters, tankless included.', tags: ['services'] },
];

/** Three visitors: two leave their details, one asks for a person (whose helpdesk delivery fails). */
const VISITS: string[][] = [
  ['How much does a drain cleaning cost?', 'My name is Maria Garcia, maria.garcia@example.com, (415) 555-0142'],
  ['Do you work on weekends?', "I'm Tom Baker, tom.baker@example.com, 415-555-0187"],
  ['My kitchen sink is leaking, can I talk to a human?', "I'm Sam Lee, sam.lee@example.com, +1 415 555 0163"],
];

const caller = (workspaceId: string, userId: string): AuthContext => ({
  kind: 'session',
  userId,
  sessionId: null,
  sessionExpiresAt: null,
  apiKeyId: null,
  actsFor: userId,
  workspaceId,
  role: 'owner',
  scopes: ['read', 'write'],
});

let running: Promise<void> | null = null;

/**
 * Completes the demo workspace; concurrent demo logins of this process share one run. A sample that
 * cannot be made is logged, not fatal: the visitor still gets into the demo.
 */
export function ensureDemoContent(deps: ChatDeps, services: DemoServices, workspaceId: string, userId: string): Promise<void> {
  running ??= fill(deps, services, workspaceId, userId)
    .catch((err: unknown) => deps.log.error({ err, workspaceId }, 'could not complete the demo workspace'))
    .finally(() => {
      running = null;
    });
  return running;
}

async function fill(deps: ChatDeps, services: DemoServices, ws: string, userId: string): Promise<void> {
  const who = caller(ws, userId);
  const receiver = await destination(deps, services, ws, who, DEMO.receiver, { path: '/demo' });
  const failing = await destination(deps, services, ws, who, DEMO.failing, { path: '/helpdesk', response_status: 500 });
  const bot = await chatbot(deps, services, ws);

  const { flows } = services;
  const have = new Set((await flows.list(ws)).models.map((f) => f.name));
  const create = async (name: string, graph: FlowGraphT) => {
    if (!have.has(name)) await flows.create(ws, { name, graph }, who);
  };
  await create(DEMO.flows.leads, {
    nodes: [
      { id: 'trigger', kind: 'trigger', position: { x: 40, y: 60 }, data: { eventType: 'lead.captured' } },
      {
        id: 'map',
        kind: 'map',
        position: { x: 320, y: 60 },
        data: {
          envelope: 'flat',
          mappings: [
            { to: 'name', from: 'data.name' },
            { to: 'email', from: 'data.email' },
            { to: 'phone', from: 'data.phone' },
            { to: 'intent', from: 'data.intent' },
          ],
        },
      },
      { id: 'receiver', kind: 'destination', position: { x: 600, y: 60 }, data: { destinationId: receiver } },
    ],
    edges: [
      { id: 'e_trigger_map', source: 'trigger', target: 'map' },
      { id: 'e_map_receiver', source: 'map', target: 'receiver' },
    ],
  });
  await create(DEMO.flows.escalations, {
    nodes: [
      { id: 'trigger', kind: 'trigger', position: { x: 40, y: 60 }, data: { eventType: 'escalation.created' } },
      { id: 'helpdesk', kind: 'destination', position: { x: 320, y: 60 }, data: { destinationId: failing } },
    ],
    edges: [{ id: 'e_trigger_helpdesk', source: 'trigger', target: 'helpdesk' }],
  });
  // The alert template, delivering to the Test receiver instead of a Slack URL.
  const alert = flowTemplate('failed-deliveries-alert');
  if (alert) {
    await create(DEMO.flows.alert, {
      nodes: alert.graph.nodes.map((n) => (n.id === 'alert' ? { id: n.id, kind: 'destination', position: n.position, data: { destinationId: receiver } } : n)),
      edges: alert.graph.edges,
    });
  }

  // Recent events: a fresh round of visits when the last day has none.
  const recent = await deps.db
    .selectFrom('events')
    .select('id')
    .where('workspace_id', '=', ws)
    .where('created_at', '>', new Date(Date.now() - 24 * 3600_000))
    .limit(1)
    .executeTakeFirst();
  if (recent) return;
  const row = await deps.db.selectFrom('chatbots').selectAll().where('id', '=', bot).executeTakeFirstOrThrow();
  const round = Date.now().toString(36);
  for (const [i, messages] of VISITS.entries()) {
    let conversation: string | null = null;
    for (const message of messages) {
      const out = await handleVisitorMessage(deps, row, {
        chatbot_key: row.public_key,
        visitor_id: `demo-visitor-${round}-${i + 1}`,
        conversation_id: conversation,
        message,
        page_url: 'https://acme-plumbing.example.com/',
      });
      conversation = out.conversation_id;
    }
  }
}

async function destination(
  deps: ChatDeps,
  services: DemoServices,
  ws: string,
  who: AuthContext,
  name: string,
  config: Record<string, unknown>,
): Promise<string> {
  const find = () => deps.db.selectFrom('destinations').select('id').where('workspace_id', '=', ws).where('name', '=', name).executeTakeFirst();
  const found = await find();
  if (found) return found.id;
  try {
    return (await services.destinations.create(ws, DestinationIn.parse({ name, type: 'MOCK_API', config }), who)).id;
  } catch (err) {
    // Another process made it meanwhile.
    const again = isUniqueViolation(err) || (err as { status?: number }).status === 409 ? await find() : undefined;
    if (again) return again.id;
    throw err;
  }
}

async function chatbot(deps: ChatDeps, services: DemoServices, ws: string): Promise<string> {
  const found = await deps.db.selectFrom('chatbots').select('id').where('workspace_id', '=', ws).where('name', '=', DEMO.chatbot).executeTakeFirst();
  if (found) return found.id;
  const svc = services.chatbots;
  const bot = await svc.create(ws, {
    name: DEMO.chatbot,
    welcome_message: 'Hi! I’m the Acme Plumbing assistant. Ask me about prices, opening hours or booking a visit.',
    settings: { lead_capture: { default_region: 'US' } },
  });
  await svc.importEntries(ws, bot.id, KNOWLEDGE, false);
  return bot.id;
}
