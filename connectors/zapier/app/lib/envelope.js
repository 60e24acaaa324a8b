'use strict';

/**
 * One delivered (or listed) event as a Zap sees it. Zapier de-duplicates trigger items on `id`, so
 * `id` must be the event id: two updates of one deal are two events. Contacts and deals carry their
 * own `id` in their data, which the flat envelope cannot hold next to the event's; it is kept as
 * `record_id` (shown as "Contact ID" / "Deal ID").
 */
function asTriggerItem(body) {
  if (!body || typeof body !== 'object' || Array.isArray(body) || typeof body.eventId !== 'string') return body;
  const { id, ...rest } = body;
  const eventId = body.eventId;
  return id !== undefined && id !== eventId ? { ...rest, record_id: id, id: eventId } : { ...rest, id: eventId };
}

module.exports = { asTriggerItem };
