import type { JsonSchema } from './json-schema.ts';

/**
 * The built-in event types: what a chatbot (seed 004) and a CRM with lead forms (seed 001) tell
 * the outside world. Each has a JSON Schema (draft 2020-12) for its `data` and a realistic sample
 * that validates against it. Schemas require the fields an integration cannot do without and
 * allow anything else, so that a richer payload never bounces.
 *
 * Names are stable: connections filter on them and integrations subscribe to them.
 */
export type EventGroup = 'chat' | 'contacts' | 'deals' | 'forms' | 'hub';

export type BuiltinEventType = {
  name: string;
  group: EventGroup;
  description: string;
  schema: JsonSchema;
  sample: Record<string, unknown>;
};

const DIALECT = 'https://json-schema.org/draft/2020-12/schema';

const str = (description: string, extra: JsonSchema = {}): JsonSchema => ({ type: 'string', description, ...extra });
const id = (description: string) => str(description, { minLength: 1, maxLength: 255 });
const email = (description = 'Email address') => str(description, { format: 'email' });
const time = (description: string) => str(`${description} (ISO 8601)`, { format: 'date-time' });
const nullable = (schema: JsonSchema): JsonSchema => ({ ...schema, type: [schema.type as string, 'null'] });

function objectSchema(title: string, description: string, properties: Record<string, JsonSchema>, required: string[]): JsonSchema {
  return { $schema: DIALECT, title, description, type: 'object', properties, required, additionalProperties: true };
}

const customFields: JsonSchema = {
  type: 'object',
  description: "Values of the workspace's custom fields, by field key",
  additionalProperties: true,
};

const visitor: JsonSchema = {
  type: 'object',
  description: 'The person chatting, as far as they are known',
  properties: {
    id: id('Visitor id, stable across conversations from the same browser'),
    name: nullable(str('Name, if given')),
    email: nullable(email()),
    phone: nullable(str('Phone number, if given')),
    locale: str('Browser language, e.g. en-US'),
  },
  additionalProperties: true,
};

// --- chat (seed 004) -------------------------------------------------------------------------

const leadCaptured: BuiltinEventType = {
  name: 'lead.captured',
  group: 'chat',
  description: "A chatbot collected a visitor's contact details.",
  schema: objectSchema(
    'Lead captured',
    'A lead as collected in the conversation.',
    {
      lead_id: id('Lead id'),
      name: str('Full name'),
      email: email(),
      phone: str('Phone number, preferably E.164'),
      chatbot_name: str('Name of the chatbot that captured the lead'),
      intent: str('What the visitor wants, as classified by the chatbot, e.g. request_quote'),
      message: str("The visitor's request in their own words"),
      page_url: str('Page the chat took place on', { format: 'uri' }),
      captured_at: time('When the lead was captured'),
      custom_fields: customFields,
    },
    ['email'],
  ),
  sample: {
    lead_id: 'lead_8f2k3m',
    name: 'Jane Smith',
    email: 'jane@example.com',
    phone: '+15555550123',
    chatbot_name: 'Acme Plumbing Bot',
    intent: 'request_quote',
    message: 'My kitchen sink is leaking, can someone come by on Thursday?',
    page_url: 'https://acmeplumbing.example.com/services',
    captured_at: '2026-05-03T14:22:08Z',
    custom_fields: { postcode: '94107', preferred_contact: 'phone' },
  },
};

const escalationCreated: BuiltinEventType = {
  name: 'escalation.created',
  group: 'chat',
  description: 'A conversation was handed over to a human.',
  schema: objectSchema(
    'Escalation created',
    'A request for a human to take over a conversation.',
    {
      escalation_id: id('Escalation id'),
      reason: str('Why the chatbot escalated, e.g. requested_human, negative_sentiment, unanswered'),
      priority: { type: 'string', enum: ['low', 'normal', 'high', 'urgent'], description: 'How urgently someone should answer' },
      summary: str('Summary of the conversation so far'),
      chatbot_name: str('Name of the chatbot'),
      visitor,
      transcript_url: str('Link to the conversation in the portal', { format: 'uri' }),
      created_at: time('When the escalation was raised'),
    },
    ['escalation_id', 'reason'],
  ),
  sample: {
    escalation_id: 'esc_41ad9c',
    reason: 'requested_human',
    priority: 'high',
    summary: 'Visitor reports water on the floor and wants an emergency visit today.',
    chatbot_name: 'Acme Plumbing Bot',
    visitor: { id: 'vis_7hq2', name: 'Jane Smith', email: 'jane@example.com', phone: '+15555550123', locale: 'en-US' },
    transcript_url: 'https://app.example.com/conversations/conv_abc',
    created_at: '2026-05-03T14:25:41Z',
  },
};

const CHANNELS = ['web', 'whatsapp', 'messenger', 'instagram', 'sms', 'email', 'voice', 'api'];

const conversationStarted: BuiltinEventType = {
  name: 'conversation.started',
  group: 'chat',
  description: 'A visitor opened a new conversation with a chatbot.',
  schema: objectSchema(
    'Conversation started',
    'The first message of a conversation.',
    {
      channel: { type: 'string', enum: CHANNELS, description: 'Where the conversation takes place' },
      chatbot_name: str('Name of the chatbot'),
      visitor,
      first_message: str("The visitor's first message"),
      page_url: str('Page the chat was opened on', { format: 'uri' }),
      referrer: str('Referring page, if any'),
      started_at: time('When the conversation started'),
    },
    ['started_at'],
  ),
  sample: {
    channel: 'web',
    chatbot_name: 'Acme Plumbing Bot',
    visitor: { id: 'vis_7hq2', name: null, email: null, locale: 'en-US' },
    first_message: 'Hi, do you do emergency call-outs?',
    page_url: 'https://acmeplumbing.example.com/',
    referrer: 'https://www.google.com/',
    started_at: '2026-05-03T14:19:55Z',
  },
};

const conversationEnded: BuiltinEventType = {
  name: 'conversation.ended',
  group: 'chat',
  description: 'A conversation was closed by the visitor, an agent, the chatbot, or inactivity.',
  schema: objectSchema(
    'Conversation ended',
    'How a conversation went, once it is over.',
    {
      channel: { type: 'string', enum: CHANNELS },
      chatbot_name: str('Name of the chatbot'),
      started_at: time('When the conversation started'),
      ended_at: time('When the conversation ended'),
      duration_seconds: { type: 'integer', minimum: 0 },
      message_count: { type: 'integer', minimum: 0, description: 'Messages exchanged, both sides' },
      ended_by: { type: 'string', enum: ['visitor', 'agent', 'chatbot', 'timeout'] },
      outcome: { type: 'string', description: 'e.g. resolved, lead_captured, escalated, abandoned' },
      lead_captured: { type: 'boolean' },
      escalated: { type: 'boolean' },
      transcript_url: str('Link to the conversation in the portal', { format: 'uri' }),
    },
    ['ended_at'],
  ),
  sample: {
    channel: 'web',
    chatbot_name: 'Acme Plumbing Bot',
    started_at: '2026-05-03T14:19:55Z',
    ended_at: '2026-05-03T14:31:02Z',
    duration_seconds: 667,
    message_count: 14,
    ended_by: 'visitor',
    outcome: 'lead_captured',
    lead_captured: true,
    escalated: true,
    transcript_url: 'https://app.example.com/conversations/conv_abc',
  },
};

const messageRated: BuiltinEventType = {
  name: 'message.rated',
  group: 'chat',
  description: 'A visitor gave a chatbot answer a thumbs-up or thumbs-down.',
  schema: objectSchema(
    'Message rated',
    'Feedback on one chatbot answer.',
    {
      message_id: id('The rated message'),
      rating: { type: 'string', enum: ['up', 'down'], description: 'Thumbs-up or thumbs-down' },
      comment: str('What the visitor added, if anything'),
      question: str('What the visitor asked'),
      answer: str("The chatbot's answer that was rated"),
      chatbot_name: str('Name of the chatbot'),
      rated_at: time('When the rating was given'),
    },
    ['message_id', 'rating'],
  ),
  sample: {
    message_id: 'msg_5tr90b',
    rating: 'down',
    comment: 'I asked about weekend rates, not weekday ones.',
    question: 'How much is a call-out on a Saturday?',
    answer: 'Our standard call-out fee is $89 on weekdays.',
    chatbot_name: 'Acme Plumbing Bot',
    rated_at: '2026-05-03T14:27:12Z',
  },
};

// --- contacts and deals (seed 001) -----------------------------------------------------------

const contactProperties: Record<string, JsonSchema> = {
  id: id('Contact id'),
  first_name: str('First name'),
  last_name: str('Last name'),
  name: str('Full name'),
  email: email(),
  phone: str('Phone number'),
  company: str('Company name'),
  job_title: str('Job title'),
  source: str('How the contact was created: manual, deal, import, api, form'),
  tags: { type: 'array', items: { type: 'string' } },
  custom_fields: customFields,
  created_at: time('When the contact was created'),
  updated_at: time('When the contact last changed'),
};

const sampleContact = {
  id: 'con_2b7xq1',
  first_name: 'Jane',
  last_name: 'Smith',
  name: 'Jane Smith',
  email: 'jane@example.com',
  phone: '+15555550123',
  company: 'Smith & Daughters Bakery',
  job_title: 'Owner',
  source: 'form',
  tags: ['inbound', 'bakery'],
  custom_fields: { industry: 'Food & beverage', employees: 12 },
  created_at: '2026-05-03T14:22:09Z',
  updated_at: '2026-05-03T14:22:09Z',
};

const changedFields: JsonSchema = {
  type: 'array',
  items: { type: 'string' },
  description: 'Names of the fields that changed',
};

const contactCreated: BuiltinEventType = {
  name: 'contact.created',
  group: 'contacts',
  description: 'A contact was created (manually, from a deal, from an import, a form or the API).',
  schema: objectSchema('Contact created', 'The new contact.', contactProperties, ['id']),
  sample: sampleContact,
};

const contactUpdated: BuiltinEventType = {
  name: 'contact.updated',
  group: 'contacts',
  description: "A contact's fields were changed.",
  schema: objectSchema('Contact updated', 'The contact after the change, and which fields changed.', { ...contactProperties, changed_fields: changedFields }, [
    'id',
  ]),
  sample: { ...sampleContact, job_title: 'Founder & owner', updated_at: '2026-05-06T09:12:44Z', changed_fields: ['job_title'] },
};

const contactDeleted: BuiltinEventType = {
  name: 'contact.deleted',
  group: 'contacts',
  description: 'A contact was deleted.',
  schema: objectSchema(
    'Contact deleted',
    'The contact as it was before it was deleted.',
    { ...contactProperties, deleted_at: time('When the contact was deleted') },
    ['id'],
  ),
  sample: { id: sampleContact.id, name: sampleContact.name, email: sampleContact.email, deleted_at: '2026-06-01T08:00:00Z' },
};

const dealProperties: Record<string, JsonSchema> = {
  id: id('Deal id'),
  name: str('Deal name'),
  value: { type: 'number', minimum: 0, description: "Deal value in the currency's major unit" },
  currency: str('ISO 4217 currency code', { pattern: '^[A-Z]{3}$' }),
  pipeline_id: id('Pipeline the deal is in'),
  pipeline_name: str('Pipeline name'),
  stage_id: id('Stage the deal is in'),
  stage_name: str('Stage name'),
  status: { type: 'string', enum: ['open', 'won', 'lost'] },
  contact: { type: 'object', properties: contactProperties, additionalProperties: true, description: "The deal's main contact" },
  company: str('Company name'),
  owner: {
    type: 'object',
    properties: { id: id('User id'), name: str('Name'), email: email() },
    additionalProperties: true,
    description: 'The workspace member who owns the deal',
  },
  expected_close_date: str('Expected close date', { format: 'date' }),
  custom_fields: customFields,
  created_at: time('When the deal was created'),
  updated_at: time('When the deal last changed'),
};

const sampleDeal = {
  id: 'deal_9c1m4e',
  name: 'Smith & Daughters Bakery: website relaunch',
  value: 4800,
  currency: 'USD',
  pipeline_id: 'pip_sales',
  pipeline_name: 'Sales',
  stage_id: 'stg_proposal',
  stage_name: 'Proposal sent',
  status: 'open',
  contact: { id: sampleContact.id, name: sampleContact.name, email: sampleContact.email, phone: sampleContact.phone },
  company: 'Smith & Daughters Bakery',
  owner: { id: 'usr_3k8d', name: 'Sam Carter', email: 'sam@agency.example.com' },
  expected_close_date: '2026-06-15',
  custom_fields: { lead_source: 'Chatbot', budget_confirmed: true },
  created_at: '2026-05-03T14:30:00Z',
  updated_at: '2026-05-03T14:30:00Z',
};

const dealRequired = ['id', 'pipeline_id', 'stage_id'];

const dealCreated: BuiltinEventType = {
  name: 'deal.created',
  group: 'deals',
  description: 'A deal was added to a pipeline.',
  schema: objectSchema('Deal created', 'The new deal.', dealProperties, dealRequired),
  sample: sampleDeal,
};

const dealUpdated: BuiltinEventType = {
  name: 'deal.updated',
  group: 'deals',
  description: "A deal's fields, value or stage were changed.",
  schema: objectSchema(
    'Deal updated',
    'The deal after the change, and which fields changed.',
    { ...dealProperties, changed_fields: changedFields },
    dealRequired,
  ),
  sample: { ...sampleDeal, value: 5400, updated_at: '2026-05-08T10:02:19Z', changed_fields: ['value'] },
};

const dealStageChanged: BuiltinEventType = {
  name: 'deal.stage_changed',
  group: 'deals',
  description: 'A deal moved to another stage.',
  schema: objectSchema(
    'Deal stage changed',
    'The deal in its new stage, and the stage it left.',
    { ...dealProperties, previous_stage_id: id('Stage the deal left'), previous_stage_name: str('Name of the stage the deal left') },
    [...dealRequired, 'previous_stage_id'],
  ),
  sample: {
    ...sampleDeal,
    stage_id: 'stg_negotiation',
    stage_name: 'Negotiation',
    previous_stage_id: 'stg_proposal',
    previous_stage_name: 'Proposal sent',
    updated_at: '2026-05-12T16:45:03Z',
  },
};

const dealWon: BuiltinEventType = {
  name: 'deal.won',
  group: 'deals',
  description: 'A deal was marked as won.',
  schema: objectSchema('Deal won', 'The won deal.', { ...dealProperties, won_at: time('When the deal was won') }, dealRequired),
  sample: {
    ...sampleDeal,
    status: 'won',
    stage_id: 'stg_won',
    stage_name: 'Won',
    value: 5400,
    won_at: '2026-05-20T11:00:00Z',
    updated_at: '2026-05-20T11:00:00Z',
  },
};

const dealLost: BuiltinEventType = {
  name: 'deal.lost',
  group: 'deals',
  description: 'A deal was marked as lost.',
  schema: objectSchema(
    'Deal lost',
    'The lost deal, and why.',
    { ...dealProperties, lost_reason: str('Why the deal was lost'), lost_at: time('When the deal was lost') },
    dealRequired,
  ),
  sample: {
    ...sampleDeal,
    status: 'lost',
    stage_id: 'stg_lost',
    stage_name: 'Lost',
    lost_reason: 'Went with a cheaper agency',
    lost_at: '2026-05-20T11:00:00Z',
    updated_at: '2026-05-20T11:00:00Z',
  },
};

const dealDeleted: BuiltinEventType = {
  name: 'deal.deleted',
  group: 'deals',
  description: 'A deal was deleted.',
  schema: objectSchema('Deal deleted', 'The deal as it was before it was deleted.', { ...dealProperties, deleted_at: time('When the deal was deleted') }, [
    'id',
  ]),
  sample: { id: sampleDeal.id, name: sampleDeal.name, pipeline_id: sampleDeal.pipeline_id, stage_id: sampleDeal.stage_id, deleted_at: '2026-06-01T08:00:00Z' },
};

// --- forms (seed 001) ------------------------------------------------------------------------

const formSubmitted: BuiltinEventType = {
  name: 'form.submitted',
  group: 'forms',
  description: "Someone submitted one of the workspace's embedded lead forms.",
  schema: objectSchema(
    'Form submitted',
    'The answers given, and the contact and deal created from them.',
    {
      form_id: id('Form id'),
      form_name: str('Form name'),
      submission_id: id('Submission id'),
      fields: { type: 'object', additionalProperties: true, description: 'The answers, by field key' },
      contact: { type: 'object', properties: contactProperties, additionalProperties: true, description: 'The contact created or matched' },
      deal_id: id('The deal created from the submission, if any'),
      pipeline_id: id('Pipeline the deal was created in'),
      stage_id: id('Stage the deal was created in'),
      page_url: str('Page the form was submitted on', { format: 'uri' }),
      submitted_at: time('When the form was submitted'),
    },
    ['form_id', 'submission_id', 'fields'],
  ),
  sample: {
    form_id: 'frm_contact_us',
    form_name: 'Contact us',
    submission_id: 'sub_6w2p0d',
    fields: {
      name: 'Jane Smith',
      email: 'jane@example.com',
      company: 'Smith & Daughters Bakery',
      budget: '2500-5000',
      message: 'We need a new website before summer.',
    },
    contact: { id: sampleContact.id, name: sampleContact.name, email: sampleContact.email },
    deal_id: sampleDeal.id,
    pipeline_id: 'pip_sales',
    stage_id: 'stg_new',
    page_url: 'https://agency.example.com/contact',
    submitted_at: '2026-05-03T14:29:51Z',
  },
};

// --- the hub itself ------------------------------------------------------------------------

const webhookDisabled: BuiltinEventType = {
  name: 'hub.webhook.disabled',
  group: 'hub',
  description: 'Wirehub turned a webhook or destination off after repeated failed deliveries (or a 410 Gone); its events are held until it is enabled again.',
  schema: objectSchema(
    'Webhook disabled',
    'A destination that stopped taking deliveries.',
    {
      webhook_id: nullable(id('The webhook (connection) id, when the destination belongs to a webhook')),
      destination_id: id('The destination that was disabled'),
      name: str("The webhook's or destination's name"),
      type: str('The destination type, e.g. http-webhook or google-sheets'),
      url: nullable(str('Where deliveries went, for HTTP destinations')),
      reason: str('Why it was disabled'),
      disabled_at: time('When it was disabled'),
    },
    ['destination_id', 'reason', 'disabled_at'],
  ),
  sample: {
    webhook_id: 'web_01JTD8C1Q2XH3N5R7T9V1W3Y5Z',
    destination_id: 'des_01JTD8C1Q2XH3N5R7T9V1W3Y5A',
    name: 'CRM leads',
    type: 'http-webhook',
    url: 'https://crm.example.com/hooks/leads',
    reason: '10 consecutive failed deliveries (last: receiver answered 503)',
    disabled_at: '2026-05-03T15:02:11Z',
  },
};

const int = (description: string, extra: JsonSchema = {}): JsonSchema => ({ type: 'integer', description, ...extra });

const deliveryFailed: BuiltinEventType = {
  name: 'hub.delivery.failed',
  group: 'hub',
  description:
    'An event failed for good: its retries are spent (or it cannot succeed), so Wirehub stopped trying it. At most one a minute per destination, counting the failures since the last one.',
  schema: objectSchema(
    'Delivery failed',
    "An event Wirehub stopped trying to deliver, and how many failed for the same destination in this alert's window.",
    {
      event_id: id('The event that failed (evt_…): find it in the Events log'),
      request_id: id('The request it came from (req_…)'),
      event_type: nullable(str('Its event type, for published events')),
      webhook_id: nullable(id('The webhook (connection) it went through')),
      destination_id: id('The destination that did not take it'),
      name: str("The webhook's or destination's name"),
      url: nullable(str('Where deliveries went, for HTTP destinations')),
      flow_id: nullable(id('The flow that made the webhook, if a flow did')),
      flow_name: nullable(str("That flow's name")),
      response_status: nullable(int("The receiver's last HTTP status, if it answered")),
      error_code: nullable(str("The last attempt's error code, e.g. HTTP_STATUS or TIMEOUT")),
      reason: str('Why the last attempt failed, in words'),
      attempts: int('Attempts made', { minimum: 1 }),
      failed_at: time('When it failed for good'),
      failed_count: int("Events of this destination that failed for good in this alert's window, this one included", { minimum: 1 }),
      first_failed_at: time('When the first of them failed'),
      link_path: str('The event in the portal, as a path: /events?q=<event id>'),
      link: str("The same as an address, under the hub's PUBLIC_URL", { format: 'uri' }),
    },
    ['event_id', 'destination_id', 'reason', 'attempts', 'failed_count', 'link_path'],
  ),
  sample: {
    event_id: 'evt_01JTD8C1Q2XH3N5R7T9V1W3Y5B',
    request_id: 'req_01JTD8C1Q2XH3N5R7T9V1W3Y5C',
    event_type: 'lead.captured',
    webhook_id: 'web_01JTD8C1Q2XH3N5R7T9V1W3Y5Z',
    destination_id: 'des_01JTD8C1Q2XH3N5R7T9V1W3Y5A',
    name: 'CRM leads',
    url: 'https://crm.example.com/hooks/leads',
    flow_id: 'flw_01JTD8C1Q2XH3N5R7T9V1W3Y5D',
    flow_name: 'New leads to the CRM',
    response_status: 500,
    error_code: 'HTTP_STATUS',
    reason: 'the receiver answered 500 Internal Server Error',
    attempts: 9,
    failed_at: '2026-05-03T15:02:11Z',
    failed_count: 3,
    first_failed_at: '2026-05-03T15:01:40Z',
    link_path: '/events?q=evt_01JTD8C1Q2XH3N5R7T9V1W3Y5B',
    link: 'https://hooks.example.com/events?q=evt_01JTD8C1Q2XH3N5R7T9V1W3Y5B',
  },
};

export const BUILTIN_EVENT_TYPES: readonly BuiltinEventType[] = [
  leadCaptured,
  escalationCreated,
  conversationStarted,
  conversationEnded,
  messageRated,
  contactCreated,
  contactUpdated,
  contactDeleted,
  dealCreated,
  dealUpdated,
  dealStageChanged,
  dealWon,
  dealLost,
  dealDeleted,
  formSubmitted,
  webhookDisabled,
  deliveryFailed,
];

const byName = new Map(BUILTIN_EVENT_TYPES.map((t) => [t.name, t]));

export function builtinEventType(name: string): BuiltinEventType | undefined {
  return byName.get(name);
}
