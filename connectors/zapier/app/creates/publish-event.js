'use strict';

const { apiUrl } = require('../lib/http');

const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
const typesOf = (schema) => (isObject(schema) ? [].concat(schema.type || []) : []);

/**
 * Zapier hands every mapped value over as text. Where the event type's schema asks for a number,
 * a yes/no, a list or an object, the text is read as one, so that "4800" reaches a deal's `value`
 * as 4800 and "inbound, bakery" reaches `tags` as a list. Anything else stays as given, and
 * Wirehub's own validation has the last word.
 */
function coerce(value, schema) {
  if (typeof value !== 'string') return value;
  const types = typesOf(schema);
  if (types.length === 0 || types.includes('string')) return value;
  const text = value.trim();
  if ((types.includes('integer') || types.includes('number')) && text !== '' && Number.isFinite(Number(text))) return Number(text);
  if (types.includes('boolean')) {
    if (/^(true|yes|y|1)$/i.test(text)) return true;
    if (/^(false|no|n|0)$/i.test(text)) return false;
  }
  if (types.includes('null') && (text === '' || text === 'null')) return null;
  if (types.includes('object') || types.includes('array')) {
    try {
      const parsed = JSON.parse(text);
      if ((types.includes('array') && Array.isArray(parsed)) || (types.includes('object') && isObject(parsed))) return parsed;
    } catch {
      // not JSON: maybe a list as Zapier joins it
    }
    if (types.includes('array')) {
      return text === '' ? [] : text.split(',').map((item) => coerce(item.trim(), schema.items));
    }
  }
  return value;
}

/** The schema of one property, following `properties` and then `additionalProperties`. */
function propertySchema(schema, name) {
  if (!isObject(schema)) return undefined;
  if (isObject(schema.properties) && isObject(schema.properties[name])) return schema.properties[name];
  return isObject(schema.additionalProperties) ? schema.additionalProperties : undefined;
}

const UNSAFE = new Set(['__proto__', 'constructor', 'prototype']);

/** Sets `visitor.email` as {visitor: {email}}, reading the value by the schema of where it lands. */
function setPath(target, path, value, schema) {
  let parts = path.split('.').map((p) => p.trim());
  // `a..b` or a leading dot is not a path: the name is taken as it is.
  if (parts.some((p) => p === '')) parts = [path];
  let node = target;
  let nodeSchema = schema;
  parts.forEach((part, i) => {
    const partSchema = propertySchema(nodeSchema, part);
    if (i === parts.length - 1) {
      node[part] = coerce(value, partSchema);
      return;
    }
    if (!isObject(node[part])) node[part] = {};
    node = node[part];
    nodeSchema = partSchema;
  });
}

async function eventTypeSchema(z, bundle, eventType) {
  // Only a help: without the read scope, or for an unknown type, the values go as typed and
  // Wirehub's answer to the publish says what is wrong.
  const response = await z.request({ url: apiUrl(bundle, `/event-types/${encodeURIComponent(eventType)}`), skipThrowForStatus: true });
  return response.status === 200 && response.data && isObject(response.data.schema) ? response.data.schema : undefined;
}

async function buildData(z, bundle, eventType) {
  const input = bundle.inputData;
  let data = {};
  const json = typeof input.dataJson === 'string' ? input.dataJson.trim() : input.dataJson;
  if (isObject(json)) {
    data = JSON.parse(JSON.stringify(json));
  } else if (json) {
    let parsed;
    try {
      parsed = JSON.parse(json);
    } catch (err) {
      throw new z.errors.Error(`"Event Data (JSON)" is not valid JSON: ${err.message}`, 'InvalidInput', 400);
    }
    if (!isObject(parsed)) throw new z.errors.Error('"Event Data (JSON)" must be a JSON object, like {"email": "jane@example.com"}.', 'InvalidInput', 400);
    data = parsed;
  }
  const fields = isObject(input.data) ? Object.entries(input.data).filter(([key]) => key.trim() !== '') : [];
  if (fields.length > 0) {
    const schema = await eventTypeSchema(z, bundle, eventType);
    for (const [key, value] of fields) {
      if (key.split('.').some((part) => UNSAFE.has(part.trim()))) throw new z.errors.Error(`"${key}" cannot be used as a field name.`, 'InvalidInput', 400);
      setPath(data, key.trim(), value, schema);
    }
  }
  return data;
}

const OPTIONAL = ['customerId', 'chatbotId', 'conversationId', 'idempotencyKey'];

async function perform(z, bundle) {
  const eventType = String(bundle.inputData.eventType || '').trim();
  const body = { eventType, data: await buildData(z, bundle, eventType) };
  for (const key of OPTIONAL) {
    const value = bundle.inputData[key];
    if (value !== undefined && value !== null && String(value).trim() !== '') body[key] = String(value).trim();
  }
  const response = await z.request({ url: apiUrl(bundle, '/publish'), method: 'POST', body });
  return {
    eventId: response.data.eventId,
    eventType,
    // A repeated idempotency key: Wirehub answered with the first publish's event.
    replayed: response.headers.get('idempotent-replayed') === 'true',
  };
}

module.exports = {
  key: 'publish_event',
  noun: 'Event',
  display: {
    label: 'Publish Event',
    description: 'Publishes an event to Wirehub, which delivers it to every webhook and connection that listens for its type.',
  },
  operation: {
    inputFields: [
      {
        key: 'eventType',
        label: 'Event Type',
        required: true,
        dynamic: 'event_type_list.id.label',
        helpText: "What happened, for example `lead.captured`. Pick one of your workspace's event types, or enter the name of a custom type.",
      },
      {
        key: 'data',
        label: 'Event Data',
        dict: true,
        helpText:
          "The event's fields: one name and value a line, such as `email` and `jane@example.com`. Use a dot for a field inside another, such as `custom_fields.postcode`. Numbers, yes/no values and lists are converted where the event type expects them.",
      },
      {
        key: 'dataJson',
        label: 'Event Data (JSON)',
        type: 'code',
        required: false,
        helpText: "Optional, for advanced use: the event's fields as one JSON object. Fields entered in **Event Data** above are added to it and win.",
      },
      {
        key: 'customerId',
        label: 'Customer ID',
        required: false,
        helpText: "Your own id of the customer this event is about. Left empty, Wirehub uses your workspace's id.",
      },
      { key: 'chatbotId', label: 'Chatbot ID', required: false, helpText: 'The chatbot the event comes from, if any.' },
      { key: 'conversationId', label: 'Conversation ID', required: false, helpText: 'The conversation the event belongs to, if any.' },
      {
        key: 'idempotencyKey',
        label: 'Idempotency Key',
        required: false,
        helpText:
          'Publishing again with the same key within 24 hours returns the first event instead of publishing a second one. Map something unique from the step that triggered this Zap, such as its ID, so that a replayed Zap run does not publish twice.',
      },
    ],
    perform,
    sample: { eventId: 'msg_01jtd8c1q2xh3n5r7t9v1w3y5z', eventType: 'lead.captured', replayed: false },
    outputFields: [
      { key: 'eventId', label: 'Event ID' },
      { key: 'eventType', label: 'Event Type' },
      { key: 'replayed', label: 'Already Published (Same Idempotency Key)', type: 'boolean' },
    ],
  },
};
