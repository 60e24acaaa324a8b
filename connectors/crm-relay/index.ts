import type { Connector, DeliveryResult } from '../types.ts';
import { CrmRelayConfigSchema } from './config.ts';
import { deliverGeneric, testGeneric } from './generic.ts';
import { deliverHubspot, testHubspot } from './hubspot.ts';
import { deliverPipedrive, testPipedrive } from './pipedrive.ts';

export { CrmRelayConfigSchema } from './config.ts';

const unexpected = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Mirrors leads into a CRM: a contact is created once and updated on every later delivery of the same event. */
export const crmRelayConnector: Connector<typeof CrmRelayConfigSchema> = {
  id: 'crm-relay',
  displayName: 'CRM relay',
  configSchema: CrmRelayConfigSchema,
  secretFields: ['token', 'api_token', 'auth'],
  tracksRecords: true,
  sentCredentials: (config) => {
    if (config.preset === 'hubspot') return [{ field: 'token', what: 'the HubSpot token' }];
    if (config.preset === 'pipedrive') return [{ field: 'api_token', what: 'the Pipedrive API token' }];
    return config.auth.type !== 'none' ? [{ field: 'auth', what: `the ${config.auth.type} auth` }] : [];
  },
  targetUrls: (config) =>
    config.preset === 'generic'
      ? [
          { path: 'url', url: config.url },
          // The template's {id} is filled in at delivery; any id gives the same host.
          { path: 'update_url', url: config.update_url?.replace('{id}', 'id') },
        ]
      : [{ path: 'base_url', url: config.base_url }],
  async deliver(ctx, config, message): Promise<DeliveryResult> {
    try {
      switch (config.preset) {
        case 'hubspot':
          return await deliverHubspot(ctx, config, message);
        case 'pipedrive':
          return await deliverPipedrive(ctx, config, message);
        case 'generic':
          return await deliverGeneric(ctx, config, message);
      }
    } catch (err) {
      // Every HTTP failure is already a result; what lands here is a config the schema never saw
      // (or a bug), which a retry would only repeat. No request data: it might hold a credential.
      return {
        ok: false,
        retryable: false,
        errorCode: 'CONFIG',
        error: `the CRM relay could not send: ${unexpected(err)}`,
        request: { method: '', url: '', headers: {} },
        durationMs: 0,
      };
    }
  },
  async testConnection(ctx, config) {
    try {
      switch (config.preset) {
        case 'hubspot':
          return await testHubspot(ctx, config);
        case 'pipedrive':
          return await testPipedrive(ctx, config);
        case 'generic':
          return await testGeneric(ctx, config);
      }
    } catch (err) {
      return { ok: false, message: `The connection test failed unexpectedly: ${unexpected(err)}.`, warnings: [] };
    }
  },
};
