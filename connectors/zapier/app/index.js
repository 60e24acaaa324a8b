'use strict';

const { version } = require('./package.json');
const { version: platformVersion } = require('zapier-platform-core');

const authentication = require('./authentication');
const publishEvent = require('./creates/publish-event');
const { addApiKey, handleErrors } = require('./lib/http');
const { EVENT_TYPES } = require('./lib/event-types');
const { eventHookTrigger } = require('./triggers/event-hook');
const eventTypeList = require('./triggers/event-type-list');

const hookTriggers = EVENT_TYPES.map(eventHookTrigger);

/** Wirehub for Zapier: an instant trigger per built-in event type, and "Publish Event". */
module.exports = {
  version,
  platformVersion,

  // Every request goes through z.request, which Zapier logs itself; patching Node's http module
  // to log other libraries' requests would add nothing.
  flags: { skipHttpPatch: true },

  authentication,
  beforeRequest: [addApiKey],
  afterResponse: [handleErrors],

  triggers: Object.fromEntries([...hookTriggers, eventTypeList].map((t) => [t.key, t])),
  searches: {},
  creates: { [publishEvent.key]: publishEvent },
  resources: {},
};
