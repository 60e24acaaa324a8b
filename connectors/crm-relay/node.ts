import { z } from 'zod';
import { defineNode, destinationField, FREE_FIELDS, hostOf, savedAs, type DestinationField, type DestinationFields } from '../node.ts';

const PRESETS = ['hubspot', 'pipedrive', 'generic'] as const;
export type CrmPreset = (typeof PRESETS)[number];

/** Creates or updates a contact in a CRM, with the workspace's stored credentials for that CRM (Settings). */
export const CrmData = z
  .object({
    preset: z.enum(PRESETS),
    /** The generic preset's endpoint. */
    url: z.string().trim().max(2048).optional(),
    credentialId: z.string().max(64).optional(),
    ...savedAs,
  })
  .strict()
  .refine((d) => d.preset !== 'generic' || (d.url && /^https?:\/\//.test(d.url)), { message: 'enter the CRM endpoint URL', path: ['url'] });
export type CrmDataT = z.output<typeof CrmData>;

/** HubSpot contact properties a lead fills; the connector always sends `email` (HubSpot matches contacts on it). */
const HUBSPOT: DestinationField[] = [
  destinationField('email', 'HubSpot finds or creates the contact by this address', true),
  destinationField('name', 'Full name, split into first and last name'),
  destinationField('firstname', 'First name'),
  destinationField('lastname', 'Last name'),
  destinationField('phone', 'Phone number'),
  destinationField('company', 'Company name'),
  destinationField('website', 'Company website'),
  destinationField('jobtitle', 'Job title'),
  destinationField('city', 'City'),
  destinationField('message', 'Message'),
  destinationField('lifecyclestage', 'Lifecycle stage, such as lead'),
  destinationField('hs_lead_status', 'Lead status, such as NEW'),
];

/** Pipedrive person fields; a person needs a name, and the email or phone stands in when there is none. */
const PIPEDRIVE: DestinationField[] = [
  destinationField('name', "The person's name (the email or phone is used when it is missing)"),
  destinationField('email', 'Email address; Pipedrive looks the person up by it first'),
  destinationField('phone', 'Phone number'),
];

/** Fields the connector reads itself; any other mapped field goes through the CRM's property map as named. */
export const CRM_BUILT_IN: Record<'hubspot' | 'pipedrive', readonly string[]> = { hubspot: ['email', 'phone', 'name'], pipedrive: ['name', 'email', 'phone'] };

export function crmFields(preset: CrmPreset): DestinationFields {
  if (preset === 'hubspot') return { fields: HUBSPOT, free: false };
  if (preset === 'pipedrive') return { fields: PIPEDRIVE, free: true };
  return FREE_FIELDS;
}

const VENDOR: Record<'hubspot' | 'pipedrive', string> = { hubspot: 'HubSpot', pipedrive: 'Pipedrive' };
const vendorOf = (d: Record<string, unknown>) => (d.preset === 'hubspot' || d.preset === 'pipedrive' ? d.preset : null);

export const crmNode = defineNode({
  kind: 'crm',
  connector: 'crm-relay',
  label: 'CRM',
  hint: 'Create or update a contact in HubSpot, Pipedrive or your CRM',
  icon: '☺',
  words: 'CRM step',
  madeWords: 'CRM destination',
  data: CrmData,
  defaults: () => ({ preset: 'hubspot' }),
  summary: (d) => (d.preset === 'generic' ? String(d.url || 'enter the CRM URL') : d.preset === 'pipedrive' ? 'Pipedrive contact' : 'HubSpot contact'),
  name: (d) => {
    const vendor = vendorOf(d);
    return vendor ? VENDOR[vendor] : hostOf(d.url);
  },
  // A generic CRM takes anything: the map panel offers no list, as for a webhook.
  fields: (d) => {
    const vendor = vendorOf(d);
    return vendor ? crmFields(vendor) : FREE_FIELDS;
  },
  fieldsQuery: z
    .object({ preset: z.enum(PRESETS).optional() })
    .refine((q) => q.preset, { message: 'name the CRM preset (hubspot, pipedrive or generic)', path: ['preset'] }),
  fieldsOwner: 'The CRM',
  unmapped: (d, mapped, _envelope, where) =>
    d.preset === 'generic'
      ? []
      : crmFields(d.preset)
          .fields.filter((f) => f.required && !mapped.has(f.name))
          .map((f) => ({ message: `${VENDOR[d.preset as 'hubspot' | 'pipedrive']} needs "${f.name}": map a field to it in ${where}`, sub: [] })),
  configFields: { url: 'url', credential_id: 'credentialId' },
});
