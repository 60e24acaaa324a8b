'use strict';

const { asTriggerItem } = require('../lib/envelope');
const { apiUrl } = require('../lib/http');

/**
 * An instant (REST hook) trigger for one Wirehub event type. Turning a Zap on subscribes Zapier's
 * target URL to the type; Wirehub then POSTs each event there as one flat JSON object.
 */
function eventHookTrigger(type) {
  const subscribe = async (z, bundle) => {
    const response = await z.request({
      url: apiUrl(bundle, '/hooks'),
      method: 'POST',
      body: { target_url: bundle.targetUrl, event: type.event },
    });
    // Kept by Zapier as bundle.subscribeData: {id, target_url, event}.
    return response.data;
  };

  const unsubscribe = async (z, bundle) => {
    const id = bundle.subscribeData?.id;
    if (!id) return {};
    const response = await z.request({
      url: apiUrl(bundle, `/hooks/${encodeURIComponent(id)}`),
      method: 'DELETE',
      skipThrowForStatus: true,
    });
    // Already gone (removed in Wirehub, or after a 410 from Zapier): turning the Zap off succeeded.
    if (response.status === 404) return { id, deleted: true };
    response.throwForStatus();
    return response.data;
  };

  // What Wirehub POSTed to the target URL.
  const perform = async (_z, bundle) => [asTriggerItem(bundle.cleanedRequest)];

  // For the Zap editor's "test trigger": the latest real events of this type, newest first (or the
  // catalogue's sample when there are none yet), exactly as a subscription would receive them.
  const list = async (z, bundle) => {
    const response = await z.request({ url: apiUrl(bundle, `/hooks/samples/${encodeURIComponent(type.event)}`) });
    return (Array.isArray(response.data) ? response.data : []).map(asTriggerItem);
  };

  return {
    key: type.key,
    noun: type.noun,
    display: {
      label: type.label,
      description: type.description,
    },
    operation: {
      type: 'hook',
      performSubscribe: subscribe,
      performUnsubscribe: unsubscribe,
      perform,
      performList: list,
      sample: type.sample,
      outputFields: type.outputFields,
    },
  };
}

module.exports = { eventHookTrigger };
