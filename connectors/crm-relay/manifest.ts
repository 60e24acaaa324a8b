import { defineManifest } from '../manifest.ts';
import { hubspotProperties } from './hubspot.ts';
import { crmRelayConnector } from './index.ts';
import { leadEmail, leadFields } from './lead.ts';
import { CRM_BUILT_IN, crmNode } from './node.ts';

/** Mapped fields the CRM connectors do not read themselves go through the property map under their own name. */
export function crmPropertyMap(preset: 'hubspot' | 'pipedrive', mapped: readonly string[]): Record<string, string> {
  const own = CRM_BUILT_IN[preset];
  return Object.fromEntries(mapped.filter((to) => !own.includes(to)).map((to) => [to, to]));
}

export const crmRelayManifest = defineManifest({
  connector: crmRelayConnector,
  node: {
    spec: crmNode,
    // HubSpot and Pipedrive take the workspace's stored token and the operator's API root; a generic CRM only its URL.
    toConfig: (d, ctx) => {
      if (d.preset === 'generic') return { preset: 'generic', url: d.url };
      const base = ctx.vendorUrls[d.preset];
      return {
        preset: d.preset,
        credential_id: d.credentialId ?? 'default',
        property_map: crmPropertyMap(d.preset, ctx.mapped),
        ...(base ? { base_url: base } : {}),
      };
    },
    fromConfig: (c) => ({ preset: c.preset as 'hubspot' | 'pipedrive' | 'generic', ...(c.preset === 'generic' ? { url: String(c.url) } : {}) }),
  },
  credential: (config) => {
    if (config.preset === 'hubspot') return { kinds: ['hubspot'], fields: { hubspot: 'token' } };
    if (config.preset === 'pipedrive') return { kinds: ['pipedrive'], fields: { pipedrive: 'api_token' } };
    return null;
  },
  // Pipedrive builds its person inside its delivery, so the preview shows the lead fields it reads.
  preview: (config, { payload }) => {
    if (config.preset === 'generic') return { ok: true, output: payload };
    const fields = leadFields(payload);
    if (!fields) return { ok: false, message: 'The event is not a JSON object, so there is no lead to send.' };
    if (config.preset === 'hubspot') {
      const email = leadEmail(fields);
      if (!email)
        return {
          ok: false,
          output: fields,
          message: `HubSpot needs a valid email to find or create the contact (email: ${JSON.stringify(fields.email ?? null)}): map one.`,
        };
      return { ok: true, output: { properties: hubspotProperties(fields, email, (config.property_map as Record<string, string> | undefined) ?? {}) } };
    }
    return { ok: true, output: fields, message: 'Pipedrive makes a person of these fields (name, email, phone and the mapped ones).' };
  },
});
