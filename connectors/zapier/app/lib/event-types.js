'use strict';

const CATALOGUE = require('./catalogue');
const { asTriggerItem } = require('./envelope');

/**
 * Wirehub's built-in event types as Zapier triggers: one entry per type, turned into a REST-hook
 * trigger by triggers/event-hook.js. Each type's group and sample data come from ./catalogue.js,
 * generated from server/publish/event-catalogue.ts by `npm run zapier:catalogue` (this folder is
 * pushed to Zapier on its own, so it cannot import the server's catalogue).
 */

// The envelope around every event's fields, as a subscriber receives it.
const SAMPLE_EVENT_ID = 'msg_01jtd8c1q2xh3n5r7t9v1w3y5z';
const SAMPLE_CUSTOMER_ID = 'tm_01jtd8a0k4m6p8r0t2v4x6z8b0';

const envelope = (eventType, eventTimestamp, extra = {}) => ({
  eventType,
  eventTimestamp,
  eventId: SAMPLE_EVENT_ID,
  customerId: SAMPLE_CUSTOMER_ID,
  ...extra,
  id: SAMPLE_EVENT_ID,
});

const chat = { chatbotId: 'bot_acme_plumbing', conversationId: 'conv_abc' };

const ENVELOPE_FIELDS = [
  { key: 'id', label: 'Event ID', primary: true },
  { key: 'eventType', label: 'Event Type' },
  { key: 'eventTimestamp', label: 'Event Time', type: 'datetime' },
  { key: 'customerId', label: 'Customer ID' },
];
const CHAT_ENVELOPE_FIELDS = [
  { key: 'chatbotId', label: 'Chatbot ID' },
  { key: 'conversationId', label: 'Conversation ID' },
];

// --- output fields ----------------------------------------------------------------------------

const contactFields = [
  { key: 'record_id', label: 'Contact ID' },
  { key: 'name', label: 'Full Name' },
  { key: 'first_name', label: 'First Name' },
  { key: 'last_name', label: 'Last Name' },
  { key: 'email', label: 'Email' },
  { key: 'phone', label: 'Phone' },
  { key: 'company', label: 'Company' },
  { key: 'job_title', label: 'Job Title' },
  { key: 'source', label: 'Source' },
  { key: 'created_at', label: 'Created At', type: 'datetime' },
  { key: 'updated_at', label: 'Updated At', type: 'datetime' },
];

const dealFields = [
  { key: 'record_id', label: 'Deal ID' },
  { key: 'name', label: 'Deal Name' },
  { key: 'value', label: 'Value', type: 'number' },
  { key: 'currency', label: 'Currency' },
  { key: 'pipeline_name', label: 'Pipeline' },
  { key: 'stage_name', label: 'Stage' },
  { key: 'status', label: 'Status' },
  { key: 'company', label: 'Company' },
  { key: 'contact__name', label: 'Contact Name' },
  { key: 'contact__email', label: 'Contact Email' },
  { key: 'contact__phone', label: 'Contact Phone' },
  { key: 'owner__name', label: 'Owner Name' },
  { key: 'owner__email', label: 'Owner Email' },
  { key: 'expected_close_date', label: 'Expected Close Date' },
  { key: 'pipeline_id', label: 'Pipeline ID' },
  { key: 'stage_id', label: 'Stage ID' },
  { key: 'updated_at', label: 'Updated At', type: 'datetime' },
];

/**
 * One literal per trigger, alike on purpose: a table Zapier's editor reads field by field (the
 * contact and deal fields shared by several triggers are factored out above).
 *
 * key: the trigger key (never renamed: live Zaps refer to it). event: Wirehub's event type name.
 * noun/label/description: what the Zap editor shows. timestamp: the sample event's time.
 */
const EVENT_TYPES = [
  {
    event: 'lead.captured',
    noun: 'Lead',
    label: 'New Lead Captured',
    description: "Triggers when a chatbot collects a visitor's contact details.",
    timestamp: '2026-05-03T14:22:09Z',
    fields: [
      { key: 'name', label: 'Full Name' },
      { key: 'email', label: 'Email' },
      { key: 'phone', label: 'Phone' },
      { key: 'message', label: 'Message' },
      { key: 'intent', label: 'Intent' },
      { key: 'chatbot_name', label: 'Chatbot Name' },
      { key: 'page_url', label: 'Page URL' },
      { key: 'lead_id', label: 'Lead ID' },
      { key: 'captured_at', label: 'Captured At', type: 'datetime' },
    ],
  },
  {
    event: 'escalation.created',
    noun: 'Escalation',
    label: 'New Escalation',
    description: 'Triggers when a chatbot conversation is handed over to a human.',
    timestamp: '2026-05-03T14:25:42Z',
    fields: [
      { key: 'reason', label: 'Reason' },
      { key: 'priority', label: 'Priority' },
      { key: 'summary', label: 'Summary' },
      { key: 'visitor__name', label: 'Visitor Name' },
      { key: 'visitor__email', label: 'Visitor Email' },
      { key: 'visitor__phone', label: 'Visitor Phone' },
      { key: 'chatbot_name', label: 'Chatbot Name' },
      { key: 'transcript_url', label: 'Transcript URL' },
      { key: 'escalation_id', label: 'Escalation ID' },
      { key: 'created_at', label: 'Created At', type: 'datetime' },
    ],
  },
  {
    event: 'conversation.started',
    noun: 'Conversation',
    label: 'New Conversation',
    description: 'Triggers when a visitor opens a new conversation with a chatbot.',
    timestamp: '2026-05-03T14:19:56Z',
    fields: [
      { key: 'channel', label: 'Channel' },
      { key: 'first_message', label: 'First Message' },
      { key: 'chatbot_name', label: 'Chatbot Name' },
      { key: 'visitor__id', label: 'Visitor ID' },
      { key: 'visitor__locale', label: 'Visitor Language' },
      { key: 'page_url', label: 'Page URL' },
      { key: 'referrer', label: 'Referrer' },
      { key: 'started_at', label: 'Started At', type: 'datetime' },
    ],
  },
  {
    event: 'conversation.ended',
    noun: 'Conversation',
    label: 'Conversation Ended',
    description: 'Triggers when a chatbot conversation is closed by the visitor, an agent, the chatbot, or inactivity.',
    timestamp: '2026-05-03T14:31:03Z',
    fields: [
      { key: 'outcome', label: 'Outcome' },
      { key: 'ended_by', label: 'Ended By' },
      { key: 'channel', label: 'Channel' },
      { key: 'chatbot_name', label: 'Chatbot Name' },
      { key: 'duration_seconds', label: 'Duration (Seconds)', type: 'integer' },
      { key: 'message_count', label: 'Message Count', type: 'integer' },
      { key: 'lead_captured', label: 'Lead Captured', type: 'boolean' },
      { key: 'escalated', label: 'Escalated', type: 'boolean' },
      { key: 'transcript_url', label: 'Transcript URL' },
      { key: 'started_at', label: 'Started At', type: 'datetime' },
      { key: 'ended_at', label: 'Ended At', type: 'datetime' },
    ],
  },
  {
    event: 'message.rated',
    noun: 'Rating',
    label: 'New Answer Rating',
    description: 'Triggers when a visitor gives a chatbot answer a thumbs-up or thumbs-down.',
    timestamp: '2026-05-03T14:27:13Z',
    fields: [
      { key: 'rating', label: 'Rating (up or down)' },
      { key: 'comment', label: 'Comment' },
      { key: 'question', label: 'Question' },
      { key: 'answer', label: 'Answer' },
      { key: 'chatbot_name', label: 'Chatbot Name' },
      { key: 'message_id', label: 'Message ID' },
      { key: 'rated_at', label: 'Rated At', type: 'datetime' },
    ],
  },
  {
    event: 'contact.created',
    noun: 'Contact',
    label: 'New Contact',
    description: 'Triggers when a contact is created (by hand, from a deal, an import, a form or the API).',
    timestamp: '2026-05-03T14:22:10Z',
    fields: contactFields,
  },
  {
    event: 'contact.updated',
    noun: 'Contact',
    label: 'Updated Contact',
    description: "Triggers when a contact's details change.",
    timestamp: '2026-05-06T09:12:45Z',
    fields: [...contactFields, { key: 'changed_fields', label: 'Changed Fields', list: true }],
  },
  {
    event: 'contact.deleted',
    noun: 'Contact',
    label: 'Deleted Contact',
    description: 'Triggers when a contact is deleted.',
    timestamp: '2026-06-01T08:00:01Z',
    fields: [
      { key: 'record_id', label: 'Contact ID' },
      { key: 'name', label: 'Full Name' },
      { key: 'email', label: 'Email' },
      { key: 'deleted_at', label: 'Deleted At', type: 'datetime' },
    ],
  },
  {
    event: 'deal.created',
    noun: 'Deal',
    label: 'New Deal',
    description: 'Triggers when a deal is added to a pipeline.',
    timestamp: '2026-05-03T14:30:01Z',
    fields: dealFields,
  },
  {
    event: 'deal.updated',
    noun: 'Deal',
    label: 'Updated Deal',
    description: "Triggers when a deal's details, value or stage change.",
    timestamp: '2026-05-08T10:02:20Z',
    fields: [...dealFields, { key: 'changed_fields', label: 'Changed Fields', list: true }],
  },
  {
    event: 'deal.stage_changed',
    noun: 'Deal',
    label: 'Deal Moved to Another Stage',
    description: 'Triggers when a deal moves to another stage of its pipeline.',
    timestamp: '2026-05-12T16:45:04Z',
    fields: [...dealFields, { key: 'previous_stage_name', label: 'Previous Stage' }, { key: 'previous_stage_id', label: 'Previous Stage ID' }],
  },
  {
    event: 'deal.won',
    noun: 'Deal',
    label: 'Deal Won',
    description: 'Triggers when a deal is marked as won.',
    timestamp: '2026-05-20T11:00:01Z',
    fields: [...dealFields, { key: 'won_at', label: 'Won At', type: 'datetime' }],
  },
  {
    event: 'deal.lost',
    noun: 'Deal',
    label: 'Deal Lost',
    description: 'Triggers when a deal is marked as lost.',
    timestamp: '2026-05-20T11:00:01Z',
    fields: [...dealFields, { key: 'lost_reason', label: 'Lost Reason' }, { key: 'lost_at', label: 'Lost At', type: 'datetime' }],
  },
  {
    event: 'deal.deleted',
    noun: 'Deal',
    label: 'Deleted Deal',
    description: 'Triggers when a deal is deleted.',
    timestamp: '2026-06-01T08:00:01Z',
    fields: [
      { key: 'record_id', label: 'Deal ID' },
      { key: 'name', label: 'Deal Name' },
      { key: 'pipeline_id', label: 'Pipeline ID' },
      { key: 'stage_id', label: 'Stage ID' },
      { key: 'deleted_at', label: 'Deleted At', type: 'datetime' },
    ],
  },
  {
    event: 'form.submitted',
    noun: 'Form Submission',
    label: 'New Form Submission',
    description: 'Triggers when someone submits one of your embedded lead forms.',
    timestamp: '2026-05-03T14:29:52Z',
    fields: [
      { key: 'form_name', label: 'Form Name' },
      { key: 'contact__name', label: 'Contact Name' },
      { key: 'contact__email', label: 'Contact Email' },
      { key: 'contact__id', label: 'Contact ID' },
      { key: 'deal_id', label: 'Deal ID' },
      { key: 'page_url', label: 'Page URL' },
      { key: 'form_id', label: 'Form ID' },
      { key: 'submission_id', label: 'Submission ID' },
      { key: 'submitted_at', label: 'Submitted At', type: 'datetime' },
    ],
  },
  {
    event: 'hub.webhook.disabled',
    noun: 'Webhook',
    label: 'Webhook Turned Off',
    description: 'Triggers when Wirehub turns a webhook or destination off after repeated failed deliveries.',
    timestamp: '2026-05-03T15:02:12Z',
    fields: [
      { key: 'name', label: 'Webhook Name' },
      { key: 'reason', label: 'Reason' },
      { key: 'url', label: 'Delivery URL' },
      { key: 'type', label: 'Destination Type' },
      { key: 'webhook_id', label: 'Webhook ID' },
      { key: 'destination_id', label: 'Destination ID' },
      { key: 'disabled_at', label: 'Disabled At', type: 'datetime' },
    ],
  },
  {
    event: 'hub.delivery.failed',
    noun: 'Delivery',
    label: 'Delivery Failed',
    description: 'Triggers when an event fails for good (its retries spent). At most one a minute per destination, counting the failures since the last one.',
    timestamp: '2026-05-03T15:02:12Z',
    fields: [
      { key: 'name', label: 'Webhook Name' },
      { key: 'reason', label: 'Reason' },
      { key: 'url', label: 'Delivery URL' },
      { key: 'flow_name', label: 'Flow Name' },
      { key: 'failed_count', label: 'Failed Count', type: 'integer' },
      { key: 'attempts', label: 'Attempts', type: 'integer' },
      { key: 'response_status', label: 'Response Status', type: 'integer' },
      { key: 'event_id', label: 'Failed Event ID' },
      { key: 'event_type', label: 'Failed Event Type' },
      { key: 'link', label: 'Link to the Event' },
      { key: 'failed_at', label: 'Failed At', type: 'datetime' },
    ],
  },
].map((t) => {
  const { group, sample: data } = CATALOGUE[t.event];
  return {
    ...t,
    // `lead.captured` → `lead_captured`: Zapier keys allow no dots.
    key: t.event.replace(/\./g, '_'),
    sample: asTriggerItem({ ...data, ...envelope(t.event, t.timestamp, group === 'chat' ? chat : {}), ...(data.id ? { id: data.id } : {}) }),
    outputFields: [...ENVELOPE_FIELDS, ...(group === 'chat' ? CHAT_ENVELOPE_FIELDS : []), ...t.fields],
  };
});

module.exports = { EVENT_TYPES };
