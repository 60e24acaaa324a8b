'use strict';

const { apiUrl } = require('../lib/http');

/** Hidden: the workspace's event types (built-in and custom), for the Publish Event dropdown. */
async function perform(z, bundle) {
  const response = await z.request({ url: apiUrl(bundle, '/event-types') });
  const models = response.data?.models || [];
  return models.map((t) => ({
    id: t.name,
    name: t.name,
    label: t.description ? `${t.name}: ${t.description}` : t.name,
    group: t.group,
    builtin: Boolean(t.builtin),
  }));
}

module.exports = {
  key: 'event_type_list',
  noun: 'Event Type',
  display: {
    label: 'List Event Types',
    description: 'Lists the event types of your Wirehub workspace, for dropdowns.',
    hidden: true,
  },
  operation: {
    type: 'polling',
    perform,
    sample: {
      id: 'lead.captured',
      name: 'lead.captured',
      label: "lead.captured: A chatbot collected a visitor's contact details.",
      group: 'chat',
      builtin: true,
    },
    outputFields: [
      { key: 'id', label: 'Event Type' },
      { key: 'label', label: 'Description' },
      { key: 'group', label: 'Group' },
      { key: 'builtin', label: 'Built In', type: 'boolean' },
    ],
  },
};
