'use strict';

// Generated from server/publish/event-catalogue.ts by `npm run zapier:catalogue`: do not edit by hand.
// Each built-in event type's group and the sample of its data, by name; a sample that extends an
// earlier one (deal.updated, deal.created's) spreads it and lists what differs.
const types = {};
types["lead.captured"] = {
  group: "chat",
  sample: {
    "lead_id": "lead_8f2k3m",
    "name": "Jane Smith",
    "email": "jane@example.com",
    "phone": "+15555550123",
    "chatbot_name": "Acme Plumbing Bot",
    "intent": "request_quote",
    "message": "My kitchen sink is leaking, can someone come by on Thursday?",
    "page_url": "https://acmeplumbing.example.com/services",
    "captured_at": "2026-05-03T14:22:08Z",
    "custom_fields": {
      "postcode": "94107",
      "preferred_contact": "phone"
    },
  },
};
types["escalation.created"] = {
  group: "chat",
  sample: {
    "escalation_id": "esc_41ad9c",
    "reason": "requested_human",
    "priority": "high",
    "summary": "Visitor reports water on the floor and wants an emergency visit today.",
    "chatbot_name": "Acme Plumbing Bot",
    "visitor": {
      "id": "vis_7hq2",
      "name": "Jane Smith",
      "email": "jane@example.com",
      "phone": "+15555550123",
      "locale": "en-US"
    },
    "transcript_url": "https://app.example.com/conversations/conv_abc",
    "created_at": "2026-05-03T14:25:41Z",
  },
};
types["conversation.started"] = {
  group: "chat",
  sample: {
    "channel": "web",
    "chatbot_name": "Acme Plumbing Bot",
    "visitor": {
      "id": "vis_7hq2",
      "name": null,
      "email": null,
      "locale": "en-US"
    },
    "first_message": "Hi, do you do emergency call-outs?",
    "page_url": "https://acmeplumbing.example.com/",
    "referrer": "https://www.google.com/",
    "started_at": "2026-05-03T14:19:55Z",
  },
};
types["conversation.ended"] = {
  group: "chat",
  sample: {
    "channel": "web",
    "chatbot_name": "Acme Plumbing Bot",
    "started_at": "2026-05-03T14:19:55Z",
    "ended_at": "2026-05-03T14:31:02Z",
    "duration_seconds": 667,
    "message_count": 14,
    "ended_by": "visitor",
    "outcome": "lead_captured",
    "lead_captured": true,
    "escalated": true,
    "transcript_url": "https://app.example.com/conversations/conv_abc",
  },
};
types["message.rated"] = {
  group: "chat",
  sample: {
    "message_id": "msg_5tr90b",
    "rating": "down",
    "comment": "I asked about weekend rates, not weekday ones.",
    "question": "How much is a call-out on a Saturday?",
    "answer": "Our standard call-out fee is $89 on weekdays.",
    "chatbot_name": "Acme Plumbing Bot",
    "rated_at": "2026-05-03T14:27:12Z",
  },
};
types["contact.created"] = {
  group: "contacts",
  sample: {
    "id": "con_2b7xq1",
    "first_name": "Jane",
    "last_name": "Smith",
    "name": "Jane Smith",
    "email": "jane@example.com",
    "phone": "+15555550123",
    "company": "Smith & Daughters Bakery",
    "job_title": "Owner",
    "source": "form",
    "tags": [
      "inbound",
      "bakery"
    ],
    "custom_fields": {
      "industry": "Food & beverage",
      "employees": 12
    },
    "created_at": "2026-05-03T14:22:09Z",
    "updated_at": "2026-05-03T14:22:09Z",
  },
};
types["contact.updated"] = {
  group: "contacts",
  sample: {
    ...types["contact.created"].sample,
    "job_title": "Founder & owner",
    "updated_at": "2026-05-06T09:12:44Z",
    "changed_fields": [
      "job_title"
    ],
  },
};
types["contact.deleted"] = {
  group: "contacts",
  sample: {
    "id": "con_2b7xq1",
    "name": "Jane Smith",
    "email": "jane@example.com",
    "deleted_at": "2026-06-01T08:00:00Z",
  },
};
types["deal.created"] = {
  group: "deals",
  sample: {
    "id": "deal_9c1m4e",
    "name": "Smith & Daughters Bakery: website relaunch",
    "value": 4800,
    "currency": "USD",
    "pipeline_id": "pip_sales",
    "pipeline_name": "Sales",
    "stage_id": "stg_proposal",
    "stage_name": "Proposal sent",
    "status": "open",
    "contact": {
      "id": "con_2b7xq1",
      "name": "Jane Smith",
      "email": "jane@example.com",
      "phone": "+15555550123"
    },
    "company": "Smith & Daughters Bakery",
    "owner": {
      "id": "usr_3k8d",
      "name": "Sam Carter",
      "email": "sam@agency.example.com"
    },
    "expected_close_date": "2026-06-15",
    "custom_fields": {
      "lead_source": "Chatbot",
      "budget_confirmed": true
    },
    "created_at": "2026-05-03T14:30:00Z",
    "updated_at": "2026-05-03T14:30:00Z",
  },
};
types["deal.updated"] = {
  group: "deals",
  sample: {
    ...types["deal.created"].sample,
    "value": 5400,
    "updated_at": "2026-05-08T10:02:19Z",
    "changed_fields": [
      "value"
    ],
  },
};
types["deal.stage_changed"] = {
  group: "deals",
  sample: {
    ...types["deal.created"].sample,
    "stage_id": "stg_negotiation",
    "stage_name": "Negotiation",
    "updated_at": "2026-05-12T16:45:03Z",
    "previous_stage_id": "stg_proposal",
    "previous_stage_name": "Proposal sent",
  },
};
types["deal.won"] = {
  group: "deals",
  sample: {
    ...types["deal.created"].sample,
    "value": 5400,
    "stage_id": "stg_won",
    "stage_name": "Won",
    "status": "won",
    "updated_at": "2026-05-20T11:00:00Z",
    "won_at": "2026-05-20T11:00:00Z",
  },
};
types["deal.lost"] = {
  group: "deals",
  sample: {
    ...types["deal.created"].sample,
    "stage_id": "stg_lost",
    "stage_name": "Lost",
    "status": "lost",
    "updated_at": "2026-05-20T11:00:00Z",
    "lost_reason": "Went with a cheaper agency",
    "lost_at": "2026-05-20T11:00:00Z",
  },
};
types["deal.deleted"] = {
  group: "deals",
  sample: {
    "id": "deal_9c1m4e",
    "name": "Smith & Daughters Bakery: website relaunch",
    "pipeline_id": "pip_sales",
    "stage_id": "stg_proposal",
    "deleted_at": "2026-06-01T08:00:00Z",
  },
};
types["form.submitted"] = {
  group: "forms",
  sample: {
    "form_id": "frm_contact_us",
    "form_name": "Contact us",
    "submission_id": "sub_6w2p0d",
    "fields": {
      "name": "Jane Smith",
      "email": "jane@example.com",
      "company": "Smith & Daughters Bakery",
      "budget": "2500-5000",
      "message": "We need a new website before summer."
    },
    "contact": {
      "id": "con_2b7xq1",
      "name": "Jane Smith",
      "email": "jane@example.com"
    },
    "deal_id": "deal_9c1m4e",
    "pipeline_id": "pip_sales",
    "stage_id": "stg_new",
    "page_url": "https://agency.example.com/contact",
    "submitted_at": "2026-05-03T14:29:51Z",
  },
};
types["hub.webhook.disabled"] = {
  group: "hub",
  sample: {
    "webhook_id": "web_01JTD8C1Q2XH3N5R7T9V1W3Y5Z",
    "destination_id": "des_01JTD8C1Q2XH3N5R7T9V1W3Y5A",
    "name": "CRM leads",
    "type": "http-webhook",
    "url": "https://crm.example.com/hooks/leads",
    "reason": "10 consecutive failed deliveries (last: receiver answered 503)",
    "disabled_at": "2026-05-03T15:02:11Z",
  },
};
types["hub.delivery.failed"] = {
  group: "hub",
  sample: {
    "event_id": "evt_01JTD8C1Q2XH3N5R7T9V1W3Y5B",
    "request_id": "req_01JTD8C1Q2XH3N5R7T9V1W3Y5C",
    "event_type": "lead.captured",
    "webhook_id": "web_01JTD8C1Q2XH3N5R7T9V1W3Y5Z",
    "destination_id": "des_01JTD8C1Q2XH3N5R7T9V1W3Y5A",
    "name": "CRM leads",
    "url": "https://crm.example.com/hooks/leads",
    "flow_id": "flw_01JTD8C1Q2XH3N5R7T9V1W3Y5D",
    "flow_name": "New leads to the CRM",
    "response_status": 500,
    "error_code": "HTTP_STATUS",
    "reason": "the receiver answered 500 Internal Server Error",
    "attempts": 9,
    "failed_at": "2026-05-03T15:02:11Z",
    "failed_count": 3,
    "first_failed_at": "2026-05-03T15:01:40Z",
    "link_path": "/events?q=evt_01JTD8C1Q2XH3N5R7T9V1W3Y5B",
    "link": "https://hooks.example.com/events?q=evt_01JTD8C1Q2XH3N5R7T9V1W3Y5B",
  },
};
module.exports = types;
